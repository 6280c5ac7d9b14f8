/**
 * The spec's leaves read from the schema, the "did you mean" for unknown keys (names, case,
 * vLLM's spellings), the escape hatch's split of unknown fields, and the generated reference.
 */
import { describe, expect, it } from '@jest/globals';
import { specLeaves, specObjectPaths } from '../../src/northflank/spec-leaves.js';
import { editDistance } from '../../src/closest.js';
import { didYouMean, suggestSpecPath } from '../../src/northflank/spec-suggest.js';
import {
  splitUnknownSpecFields,
  withUnknownSpecFields,
} from '../../src/northflank/spec-unknown.js';
import { VLLM_FLAGS } from '../../src/northflank/vllm-names.js';
import {
  jsClientTypes,
  northflankSpecDescriptions,
  renderSpecReference,
  SPEC_NOTES,
  typeLeaves,
} from '../../scripts/spec-reference.js';

const WORKER = 'configuration.architecture.workerConfig';
const leaf = (path: string) => specLeaves().find((l) => l.path === path);

describe('the spec leaves, read from the schema', () => {
  it('name each leaf with its type and range', () => {
    expect(leaf(`${WORKER}.parallelismConfig.tensorParallelism`)).toEqual({
      path: `${WORKER}.parallelismConfig.tensorParallelism`,
      type: 'integer',
      allowed: 'at least 1',
    });
    expect(leaf(`${WORKER}.gpuMemoryUtilization`)).toMatchObject({
      type: 'number',
      allowed: 'more than 0 and at most 1',
    });
    expect(leaf(`${WORKER}.sequenceLengthConfig.maxModelLength`)?.type).toBe('integer or "auto"');
    expect(leaf(`${WORKER}.dataType`)?.allowed).toBe('"auto", "float16", "bfloat16"');
    expect(leaf('configuration.nodeConfiguration.storage.shmSize')?.type).toBe('number or null');
    expect(leaf(`${WORKER}.replicas`)?.allowed).toBe('at least 0');
  });

  it('are exactly the leaves of the spec in Northflank\u2019s published client types', () => {
    const theirs = [...northflankSpecDescriptions(jsClientTypes()).keys()].sort();
    // `type` is ours: a GET shows it and the action drops it, the update body has no such field.
    const ours = specLeaves()
      .map((l) => l.path)
      .filter((p) => p !== 'type')
      .sort();
    expect(ours).toEqual(theirs);
  });

  it('list the objects on the way to them', () => {
    expect(specObjectPaths()).toEqual(
      expect.arrayContaining(['', 'configuration', `${WORKER}.parallelismConfig`]),
    );
  });
});

describe('did you mean', () => {
  it.each([
    ['tensorParallelSize', WORKER, `${WORKER}.parallelismConfig.tensorParallelism`],
    ['tensor_parallel_size', 'configuration', `${WORKER}.parallelismConfig.tensorParallelism`],
    ['pipelineParallelSize', WORKER, `${WORKER}.parallelismConfig.pipelineParallelism`],
    ['maxModelLen', WORKER, `${WORKER}.sequenceLengthConfig.maxModelLength`],
    ['kvCacheDtype', WORKER, `${WORKER}.kvCacheDataType`],
    ['dtype', WORKER, `${WORKER}.dataType`],
    ['model', 'configuration', 'configuration.name'],
  ])('%s (vLLM\u2019s name) in %s means %s', (key, parent, path) => {
    expect(suggestSpecPath(parent, key)).toEqual({ path, vllmFlag: expect.stringMatching(/^--/) });
  });

  it.each([
    // Misspelt, miscased, or in the wrong object.
    ['gpuMemoryUtilisation', WORKER, `${WORKER}.gpuMemoryUtilization`],
    ['GPUMemoryUtilization', 'configuration', `${WORKER}.gpuMemoryUtilization`],
    ['maxNumSeqs', WORKER, `${WORKER}.batchingConfig.maxNumSeqs`],
    ['replica', WORKER, `${WORKER}.replicas`],
    ['max-num-seqs', WORKER, `${WORKER}.batchingConfig.maxNumSeqs`],
    ['enforce_eager', WORKER, `${WORKER}.enforceEager`],
    ['workerconfig', 'configuration.architecture', WORKER],
    ['configurations', '', 'configuration'],
    [
      'gpucount',
      'configuration.nodeConfiguration.gpu',
      'configuration.nodeConfiguration.gpu.configuration.gpuCount',
    ],
  ])('%s in %s means %s', (key, parent, path) => {
    expect(suggestSpecPath(parent, key)?.path).toBe(path);
  });

  it('stays quiet when nothing is close', () => {
    expect(suggestSpecPath('configuration', 'foo')).toBeUndefined();
    expect(suggestSpecPath(WORKER, 'temperature')).toBeUndefined();
    expect(didYouMean(WORKER, '---')).toBe('');
  });

  it('reads as a question with the full path and the vLLM flag', () => {
    expect(didYouMean(WORKER, 'tensorParallelSize')).toBe(
      `did you mean ${WORKER}.parallelismConfig.tensorParallelism (vLLM's --tensor-parallel-size)?`,
    );
  });

  it('maps every vLLM name to a leaf that exists', () => {
    const paths = new Set(specLeaves().map((l) => l.path));
    expect(Object.values(VLLM_FLAGS).filter((p) => !paths.has(p))).toEqual([]);
  });

  it('counts edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('unknown spec fields (the escape hatch)', () => {
  const given = {
    configuration: {
      name: 'Qwen/Qwen3-8B',
      speculativeConfig: { method: 'eagle', tokens: 3 },
      architecture: { workerConfig: { replicas: 2, loraModules: ['a'] } },
    },
  };

  it('are set aside whole at the first unknown key, the rest kept for validation', () => {
    const { known, unknown } = splitUnknownSpecFields(given);
    expect(known).toEqual({
      configuration: { name: 'Qwen/Qwen3-8B', architecture: { workerConfig: { replicas: 2 } } },
    });
    expect(unknown).toEqual([
      { path: 'configuration.speculativeConfig', value: { method: 'eagle', tokens: 3 } },
      { path: `${WORKER}.loraModules`, value: ['a'] },
    ]);
  });

  it('go back where they were, without changing the validated spec', () => {
    const { known, unknown } = splitUnknownSpecFields(given);
    const copy = structuredClone(known);
    expect(withUnknownSpecFields(known as object, unknown)).toEqual(given);
    expect(known).toEqual(copy);
  });

  it('leave a value of the wrong shape for the schema to refuse', () => {
    expect(splitUnknownSpecFields({ configuration: 'x' })).toEqual({
      known: { configuration: 'x' },
      unknown: [],
    });
  });
});

describe('docs/spec-reference.md', () => {
  it('has a row for every leaf, with a description and vLLM\u2019s flag', () => {
    const text = renderSpecReference(northflankSpecDescriptions(jsClientTypes()));
    for (const l of specLeaves()) expect(text).toContain(`| \`${l.path}\` |`);
    expect(text).toMatch(
      /storageSize` \| integer \| at least 1 \| Northflank: .The size of the storage, in megabytes/,
    );
    expect(text).toMatch(
      /tensorParallelism` \| integer \| at least 1 \| .* \| `--tensor-parallel-size` \|/,
    );
  });

  it('fails for a leaf with no description (the check can fail)', () => {
    expect(() => renderSpecReference(new Map())).not.toThrow();
    const notes = SPEC_NOTES as Record<string, string>;
    const saved = notes.type;
    delete notes.type;
    try {
      expect(() => renderSpecReference(new Map())).toThrow(/spec leaf type has no description/);
    } finally {
      notes.type = saved ?? '';
    }
  });

  it('keeps no note for a leaf that does not exist', () => {
    const paths = new Set(specLeaves().map((l) => l.path));
    expect(Object.keys(SPEC_NOTES).filter((p) => !paths.has(p))).toEqual([]);
  });

  it('reads nested members and their JSDoc from a declaration', () => {
    const dts = [
      'type T = {',
      '    /** The a. */',
      "    'a'?: string;",
      "    'b'?: {",
      '        /** Deep. Example: 3 */',
      "        'c': number;",
      '    };',
      "    'd'?: {",
      "        'e': string;",
      '    }[];',
      '};',
      "type U = { 'z': string };",
    ].join('\n');
    expect([...typeLeaves(dts, 'T')]).toEqual([
      ['a', 'The a.'],
      ['b.c', 'Deep. Example: 3'],
      ['d.e', ''],
    ]);
  });
});
