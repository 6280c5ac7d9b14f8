import { describe, expect, it } from '@jest/globals';
import {
  formatGateNote,
  parseGateNote,
  specFingerprint,
  withGateNote,
  withoutGateNote,
} from '../../src/rollout/gate-note.js';

const note = formatGateNote({
  spec: specFingerprint({ configuration: { name: 'm' } }),
  configurationId: 'cfg-0002',
  run: 'https://github.com/acme/models/actions/runs/777',
  exceeded: ['itl-p50 +20%', 'tokens-per-second -15%'],
});

describe('the gate note', () => {
  it('hashes a spec whatever its key order', () => {
    expect(specFingerprint({ a: 1, b: { c: [1, 2], d: null } })).toBe(
      specFingerprint({ b: { d: null, c: [1, 2] }, a: 1 }),
    );
    expect(specFingerprint({ a: 1 })).not.toBe(specFingerprint({ a: 2 }));
    expect(specFingerprint({ a: 1 })).toMatch(/^[0-9a-f]{12}$/);
  });

  it('is read back from a description, and taken off it leaving the user text as it was', () => {
    const description = withGateNote('Line one\nLine two', note)!;
    expect(description).toBe(`Line one\nLine two\n\n${note}`);
    expect(parseGateNote(description)).toEqual({
      spec: specFingerprint({ configuration: { name: 'm' } }),
      run: 'https://github.com/acme/models/actions/runs/777',
      line: note,
    });
    expect(withoutGateNote(description)).toBe('Line one\nLine two');
    expect(withoutGateNote('Plain')).toBe('Plain');
    expect(withoutGateNote(undefined)).toBeUndefined();
    expect(parseGateNote('Plain [benchmark gate] not at the start')).toBeUndefined();
  });

  it('replaces an older note, stands alone on an empty description, and refuses what does not fit', () => {
    const once = withGateNote(undefined, note)!;
    expect(once).toBe(note);
    const other = note.replace('runs/777', 'runs/778');
    expect(withGateNote(once, other)).toBe(other);
    expect(withGateNote('x'.repeat(1000), note)).toBeUndefined();
  });
});
