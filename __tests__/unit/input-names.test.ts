/**
 * An input the action does not have (a misspelt `spec_file:`, `timout:`) fails the step before any
 * request, with the input it most likely means: the runner only warns and runs the step without it.
 */
import { describe, expect, it } from '@jest/globals';
import { closestNames, didYouMeanName } from '../../src/closest.js';
import { checkInputNames, INPUT_NAMES, unknownInputNames } from '../../src/config/input-names.js';
import { actionYml } from '../helpers/action.js';

describe("the action's input names", () => {
  it("are action.yml's, in its order", () => {
    expect([...INPUT_NAMES]).toEqual(Object.keys(actionYml().inputs));
  });

  it('find the INPUT_* variables of no declared input, as a workflow writes them', () => {
    expect(
      unknownInputNames([
        'INPUT_SPEC-FILE',
        'INPUT_SPEC_FILE',
        'INPUT_TIMOUT',
        'INPUT_API-TOKEN',
        'INPUT_',
        'PATH',
        'GITHUB_WORKSPACE',
      ]),
    ).toEqual(['spec_file', 'timout']);
  });

  it('every declared input, passed as the runner passes it, is known', () => {
    expect(unknownInputNames(INPUT_NAMES.map((n) => `INPUT_${n.toUpperCase()}`))).toEqual([]);
    expect(() => {
      checkInputNames(INPUT_NAMES.map((n) => `INPUT_${n.toUpperCase()}`));
    }).not.toThrow();
  });

  it('an unknown one is an input error naming it, the input it likely means, and the others', () => {
    expect(() => {
      checkInputNames(['INPUT_SPEC_FILE', 'INPUT_TIMOUT', 'INPUT_MODEL-URL']);
    }).toThrow(
      /^Input "model-url" is invalid: this action has no such input\. GitHub only warns .* Also not inputs of this action: "spec_file" \(did you mean spec-file\?\), "timout" \(did you mean timeout\?\)\./,
    );
    expect(() => {
      checkInputNames(['INPUT_DRY_RUN']);
    }).toThrow(
      /Input "dry_run" is invalid: this action has no such input \(did you mean dry-run\?\)/,
    );
  });
});

describe('did you mean', () => {
  it('matches another way of writing a name, a typo, or the start of a name', () => {
    expect(closestNames('Spec_File', INPUT_NAMES)).toEqual(['spec-file']);
    expect(closestNames('smoke-tset', INPUT_NAMES)).toEqual(['smoke-test']);
    expect(closestNames('concurency', ['requests', 'concurrency', 'warmup'])).toEqual([
      'concurrency',
    ]);
    expect(closestNames('itl', ['ttft-p50', 'itl-p50', 'itl-p90'])).toEqual(['itl-p50', 'itl-p90']);
    expect(closestNames('ttft-p95', ['ttft-p50', 'ttft-p90', 'ttft-p99'])).toEqual([
      'ttft-p90',
      'ttft-p99',
    ]);
    expect(closestNames('zzz', INPUT_NAMES)).toEqual([]);
  });

  it('says it in words', () => {
    expect(didYouMeanName('itl', ['itl-p50', 'itl-p90', 'itl-p99'])).toBe(
      ' (did you mean itl-p50, itl-p90 or itl-p99?)',
    );
    expect(didYouMeanName('zzz', ['a'])).toBe('');
  });
});
