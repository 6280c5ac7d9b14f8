/** The release workflow's CHANGELOG check: a release needs a non-empty section of its own. */
import { describe, expect, it } from '@jest/globals';
import { changelogSection } from '../../scripts/changelog.js';

const CHANGELOG = `# Changelog

## Unreleased

- Something not released yet.

## [1.2.3] - 2026-11-23

### Fixed

- A fix.

## v1.2.0

- Older.

## 1.1.0
`;

describe('changelogSection', () => {
  it('finds the section of a version, up to the next one, whatever the heading style', () => {
    expect(changelogSection(CHANGELOG, '1.2.3')).toBe('### Fixed\n\n- A fix.');
    expect(changelogSection(CHANGELOG, 'v1.2.3')).toBe('### Fixed\n\n- A fix.');
    expect(changelogSection(CHANGELOG, '1.2.0')).toBe('- Older.');
  });

  it('fails a version with no section, an empty one, or only a prefix match', () => {
    expect(changelogSection(CHANGELOG, '1.2.4')).toBeUndefined();
    expect(changelogSection(CHANGELOG, '1.1.0')).toBeUndefined();
    expect(changelogSection(CHANGELOG, '1.2')).toBeUndefined();
    expect(changelogSection(CHANGELOG, '2.2.3')).toBeUndefined();
    expect(changelogSection('## 1.2.30\n\n- x\n', '1.2.3')).toBeUndefined();
    expect(changelogSection('## 1x2y3\n\n- x\n', '1.2.3')).toBeUndefined();
  });

  it('does not take the Unreleased section for a release', () => {
    expect(changelogSection('## Unreleased (0.1.0)\n\n- x\n', '0.1.0')).toBeUndefined();
  });
});
