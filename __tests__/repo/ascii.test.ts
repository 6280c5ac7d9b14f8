import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runInNewContext } from 'node:vm';
import { ROOT } from '../../scripts/local-runner.js';
import { toAscii } from '../../scripts/ascii.js';

describe('toAscii', () => {
  it('escapes every non-ASCII unit, and the code still means the same', () => {
    const code = 'const a="✅ done…",b=/→|😀/u,c=`❌ ${a}`;module.exports=[a,b.source,c];';
    const { code: ascii } = toAscii(code, '');
    expect(ascii).not.toMatch(/[\u0080-\uffff]/);
    const run = (src: string): unknown => {
      const m = { exports: undefined as unknown };
      runInNewContext(src, { module: m });
      return m.exports;
    };
    const [a, , c] = run(code) as string[];
    const [a2, source2, c2] = run(ascii) as string[];
    expect([a2, c2]).toEqual([a, c]);
    expect(new RegExp(source2 ?? '', 'u').test('😀')).toBe(true);
  });

  it('keeps a backslash that escaped the character as the escape of its own', () => {
    const { code } = toAscii('x="\\…";y="\\\\…"', '');
    expect(code).toBe('x="\\u2026";y="\\\\\\u2026"');
    expect(runInNewContext(`var ${code};[x,y]`)).toEqual(['…', '\\…']);
  });

  it('moves the mapped columns after each escaped character', () => {
    // Segments of one field each ("A" = column +0, "K" = +5, "U" = +10): columns 0, 5, 15.
    const code = 'ab→cdefghijklmnopqrst';
    const { mappings } = toAscii(code, 'AAAA,KAAA,UAAA');
    // The arrow at column 2 becomes six characters: columns after it move by 5.
    expect(mappings).toBe('AAAA,UAAA,UAAA');
  });
});

describe('dist/', () => {
  it('is ASCII only, so that V8 keeps its source at one byte per character', () => {
    const dist = path.join(ROOT, 'dist');
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(path.join(dist, file), 'utf8');
      expect([file, /[\u0080-\uffff]/.test(text)]).toEqual([file, false]);
    }
  });
});
