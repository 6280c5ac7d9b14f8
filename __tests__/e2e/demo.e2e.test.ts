/**
 * README's demo excerpt and timings are what `npm run demo` prints: the demo is run as the script
 * runs it (the bundle, on the emulator and its model server, in real time), and each line of
 * README's excerpt must come out in that order, the same but for its figures (times, ports,
 * latencies); the times README quotes must be near the ones measured.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { deployDemo } from '../../scripts/demo-deploy.js';
import { ROOT } from '../../scripts/local-runner.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** README's excerpt of the demo's output: the first text block after `npm run demo`. */
function excerpt(text: string): string[] {
  const from = text.indexOf('npm run demo ');
  const block = /```text\n([\s\S]*?)```/.exec(text.slice(from));
  return (block?.[1] ?? '').trimEnd().split('\n');
}

const NUMBER = /\d+(?:\.\d+)?/g;

/** A line of the excerpt as a pattern: the same text, any figure where it has one, and any text
 * where it has `…` (what the run decides by timing, such as which phase the last check saw). */
function pattern(line: string): RegExp {
  const figures = (text: string): string =>
    text
      .split(NUMBER)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\d+(?:\\.\\d+)?');
  return new RegExp(`^${line.split('…').map(figures).join('.*')}$`);
}

/** The excerpt's lines that do not come out, in order, in `output`. */
function missing(lines: string[], output: string[]): string[] {
  const absent: string[] = [];
  let at = 0;
  for (const line of lines) {
    const re = pattern(line);
    const found = output.findIndex((o, i) => i >= at && re.test(o));
    if (found < 0) absent.push(line);
    else at = found + 1;
  }
  return absent;
}

/** The seconds in `Done in 14s` (or `1m 6s`). */
function doneIn(lines: string[]): number | undefined {
  const m = lines.map((l) => /^Done in (?:(\d+)m )?(\d+)s:/.exec(l)).find((x) => x !== null);
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : undefined;
}

describe('npm run demo, as README shows it', () => {
  it('prints each line of the excerpt, in order, and takes about the time README says', async () => {
    // What the demo prints and the action's log it echoes, in the order they come out.
    let printed = '';
    const echo = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        printed += chunk.toString();
        done();
      },
    });
    const started = Date.now();
    const run = await deployDemo('runs', { print: (line) => (printed += `${line}\n`), echo });
    const wallSeconds = (Date.now() - started) / 1000;
    const output = printed.split('\n');
    expect(run.code).toBe(0);

    const lines = excerpt(readme);
    expect(lines.length).toBeGreaterThan(10);
    expect(missing(lines, output)).toEqual([]);

    // "Done in 14s" in README: the action's own time, which the rollout and the benchmark decide.
    const quoted = doneIn(lines);
    const measured = doneIn(output);
    expect(quoted).toBeDefined();
    expect(measured).toBeDefined();
    expect(measured).toBeLessThanOrEqual((quoted ?? 0) * 1.5 + 3);
    expect(measured).toBeGreaterThanOrEqual((quoted ?? 0) / 1.5 - 3);
    // "(~25 s)" beside `npm run demo`: this run, plus the build of the scripts npm run does first.
    const total = Number(/npm run demo {2,}#.*\(~(\d+) s\)/.exec(readme)?.[1]);
    expect(total).toBeGreaterThanOrEqual(wallSeconds * 0.8);
    expect(total).toBeLessThanOrEqual(wallSeconds + 25);
  }, 90_000);

  it('the comparison finds a line that changed, and one out of order', () => {
    const output = ['Will change: spec (1 setting).', 'Done in 14s: The new rollout is running.'];
    expect(missing(['Will change: spec (2 settings).'], output)).toEqual([
      'Will change: spec (2 settings).',
    ]);
    expect(missing(['Will change: spec (3 setting).'], output)).toEqual([]);
    expect(
      missing(
        ['Done in 9s: The new rollout is running.', 'Will change: spec (1 setting).'],
        output,
      ),
    ).toEqual(['Will change: spec (1 setting).']);
    expect(doneIn(['Done in 1m 6s: x'])).toBe(66);
    expect(
      missing(
        ['Status: running after … since the update'],
        ['Status: running after 1s starting, 5s since the update'],
      ),
    ).toEqual([]);
    expect(
      missing(
        ['Status: running after … since the update'],
        ['Status: crashed after 1s starting, 5s since the update'],
      ),
    ).toHaveLength(1);
  });
});
