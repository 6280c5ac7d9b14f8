/**
 * Property-based tests of input parsing: whatever strings the inputs hold, parsing either gives
 * settings or an InputError that names one of the action's inputs, and nothing else happens.
 * The bundle, for random invalid input, is in e2e/invalid-input.e2e.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import { loadYaml } from '../../src/config/structured.js';
import { parseSettings } from '../../src/config/read-settings.js';
import type { InputSources } from '../../src/runner/deps.js';
import { actionYml } from '../helpers/action.js';

// parseSettings parses YAML inputs once the parser is loaded (the action's readSettings loads it
// on first need; __tests__/e2e/lazy.e2e.test.ts checks that).
await loadYaml();

const INPUT_NAMES = Object.keys(actionYml().inputs);

/** Strings that stress the parsers: any text, JSON/YAML-ish text, and plausible values. */
const inputValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    '',
    'true',
    'false',
    '30s',
    '1h30m',
    '0',
    '-1',
    'llm, production',
    '::add-mask::x',
    '##[error]x',
  ),
  fc.constantFrom(
    '[{"name": "http", "internalPort": 8000, "protocol": "HTTP"}]',
    '{"configuration": {"name": "Qwen/Qwen3-8B"}}',
    'configuration:\n  engine: vllm\n',
    'https://api.northflank.com',
    'http://127.0.0.1:1',
  ),
);

const inputs = fc.dictionary(fc.constantFrom(...INPUT_NAMES), inputValue, {
  maxKeys: INPUT_NAMES.length,
});

function sources(values: Record<string, string>): InputSources & { reads: string[] } {
  const reads: string[] = [];
  return {
    getInput: (name) => values[name] ?? '',
    setSecret: () => undefined,
    readFile: (file) => {
      reads.push(file);
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    },
    workspace: '/work/repo',
    reads,
  };
}

describe('input parsing, for any input strings', () => {
  it('gives settings or an InputError naming an input of the action, and never throws anything else', () => {
    fc.assert(
      fc.property(inputs, (values) => {
        const s = sources(values);
        try {
          const settings = parseSettings(s);
          // What parsed is what the API accepts: ids are single segments, durations positive.
          expect(settings.target.projectId).not.toContain('/');
          expect(settings.target.deploymentId).not.toContain('/');
          expect(settings.timeoutMs).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const { input, message } = error as InputError;
          expect(INPUT_NAMES).toContain(input);
          expect(message).toMatch(new RegExp(`^Input "${input}" is invalid`));
        }
        // The only I/O parsing does is reading the spec file it was asked to read.
        expect(s.reads.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });
});
