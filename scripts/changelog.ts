/**
 * `node build/scripts/changelog.js 1.2.3`: prints CHANGELOG.md's section for that version (the
 * release notes), or fails with a GitHub error annotation when there is none. The release workflow
 * runs it, so that no version is released without its entry.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The body of the `## 1.2.3` (or `## v1.2.3`, `## [1.2.3] - 2026-11-23`) section, up to the next
 * `## ` heading; undefined when there is none or it is empty. An `Unreleased` section never counts.
 */
export function changelogSection(text: string, version: string): string | undefined {
  const escaped = version.replace(/^v/, '').replace(/[.+]/g, '\\$&');
  const heading = new RegExp(`^## \\[?v?${escaped}\\]?(?:\\s|$)`);
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
  return body === '' ? undefined : body;
}

const invokedDirectly = process.argv[1] === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const version = process.argv[2] ?? '';
  // build/scripts/changelog.js -> the repository root.
  const file = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    'CHANGELOG.md',
  );
  const section = /^v?\d+\.\d+\.\d+/.test(version)
    ? changelogSection(readFileSync(file, 'utf8'), version)
    : undefined;
  if (section === undefined) {
    process.stdout.write(
      `::error file=CHANGELOG.md::CHANGELOG.md has no section for ${version || '(no version given)'}. Add "## ${version.replace(/^v/, '')} - YYYY-MM-DD" with the release's changes (rename "Unreleased"), then tag again.\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`${section}\n`);
  }
}
