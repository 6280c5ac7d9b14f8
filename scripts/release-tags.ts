/**
 * `node build/scripts/release-tags.js v1.2.3`: the release workflow's check of a pushed tag
 * against package.json, and the major tag it moves. Prints `version=1.2.3` and `major=v1` (for
 * GITHUB_OUTPUT), or a GitHub error annotation and exit 1. README tells users to write `@v1`, so
 * no release may make a `v0`: the first release is v1.0.0.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a release tag releases, or why it may not be released. Pure. */
export function releaseTags(
  tag: string,
  packageVersion: string,
): { version: string; major: string } | { error: string } {
  const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag);
  if (!match) return { error: `tag ${tag} is not a release tag (v1.2.3)` };
  const version = tag.slice(1);
  if (version !== packageVersion) {
    return {
      error: `tag ${tag} does not match package.json's version ${packageVersion}: set "version": "${version}" there (and its CHANGELOG section), then tag again`,
    };
  }
  if (match[1] === '0') {
    return {
      error: `tag ${tag} would make the major tag v0, but README tells users to write @v1: the first release is v1.0.0`,
    };
  }
  return { version, major: `v${String(Number(match[1]))}` };
}

const invokedDirectly = process.argv[1] === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  const result = releaseTags(process.argv[2] ?? '', pkg.version);
  if ('error' in result) {
    process.stdout.write(`::error file=package.json::${result.error}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`version=${result.version}\nmajor=${result.major}\n`);
  }
}
