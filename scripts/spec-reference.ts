/**
 * docs/spec-reference.md, generated: every leaf of the spec schema (src/northflank/spec-leaves.ts)
 * with its type and allowed values, Northflank's own description where it publishes one (the
 * JSDoc of `UpdateLlmmodeldeploymentData` in @northflank/js-client), and vLLM's name for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { specLeaves } from '../src/northflank/spec-leaves.js';
import { vllmFlagFor } from '../src/northflank/vllm-names.js';

/**
 * What each leaf sets, in our words, for the leaves Northflank publishes no description of.
 * Kept beside the generator: a leaf added to the schema without a line here fails the docs check.
 */
export const SPEC_NOTES: Readonly<Record<string, string>> = {
  type: 'Shown by a GET; accepted and dropped, so a spec copied from the API can be used as it is.',
  'configuration.name': 'The model to serve, e.g. a Hugging Face id such as `Qwen/Qwen3-8B`.',
  'configuration.engine': 'The serving engine.',
  'configuration.revision': 'The model revision (a branch, tag or commit of the model repository).',
  'configuration.nodeConfiguration.gpu.enabled': 'Whether the deployment runs on GPU nodes.',
  'configuration.nodeConfiguration.gpu.configuration.gpuType':
    'The GPU model, as Northflank names it, e.g. `nvidia-l4`.',
  'configuration.nodeConfiguration.gpu.configuration.gpuCount': 'GPUs per replica.',
  'configuration.nodeConfiguration.gpu.configuration.timesliced':
    'Whether the GPU is time-sliced (shared).',
  'configuration.nodeConfiguration.storage.accessMode': 'How the model storage volume is mounted.',
  'configuration.nodeConfiguration.storage.storageClass': 'The storage class.',
  'configuration.nodeConfiguration.storage.storageSize': 'The storage size, in megabytes.',
  'configuration.nodeConfiguration.storage.shmSize':
    'Shared memory for the container; null for the default.',
  'configuration.architecture.type': 'How the model is served.',
  'configuration.architecture.workerConfig.replicas': 'Number of replicas (0 stops serving).',
  'configuration.architecture.workerConfig.parallelismConfig.tensorParallelism':
    'GPUs one layer is split across.',
  'configuration.architecture.workerConfig.parallelismConfig.pipelineParallelism':
    'Stages the layers are split into.',
  'configuration.architecture.workerConfig.parallelismConfig.expertParallelism':
    'Expert parallelism for mixture-of-experts models.',
  'configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength':
    'Context length in tokens (prompt and output), or `auto` to take the model\u2019s own.',
  'configuration.architecture.workerConfig.sequenceLengthConfig.maxInputLength':
    'Longest prompt, in tokens.',
  'configuration.architecture.workerConfig.sequenceLengthConfig.maxOutputLength':
    'Longest output, in tokens.',
  'configuration.architecture.workerConfig.batchingConfig.maxNumSeqs':
    'Most sequences in one batch.',
  'configuration.architecture.workerConfig.batchingConfig.maxNumBatchedTokens':
    'Most tokens in one batch.',
  'configuration.architecture.workerConfig.enableChunkedPrefill':
    'Split long prompts into chunks batched with decoding.',
  'configuration.architecture.workerConfig.enablePrefixCaching':
    'Reuse the KV cache of a shared prompt prefix.',
  'configuration.architecture.workerConfig.enforceEager': 'Run without CUDA graphs.',
  'configuration.architecture.workerConfig.enableAsyncScheduling':
    'Schedule the next step while the GPU runs this one.',
  'configuration.architecture.workerConfig.gpuMemoryUtilization':
    'Fraction of GPU memory the engine may use.',
  'configuration.architecture.workerConfig.trustRemoteCode':
    'Allow the model repository\u2019s own code to run.',
  'configuration.architecture.workerConfig.dataType': 'Weights and activations data type.',
  'configuration.architecture.workerConfig.kvCacheDataType': 'KV cache data type.',
  'configuration.architecture.workerConfig.quantization': 'Quantization method of the weights.',
};

const require = createRequire(import.meta.url);

/** The js-client's type declarations (a dev dependency), where Northflank's descriptions are. */
export function jsClientTypes(): string {
  const main = require.resolve('@northflank/js-client');
  return readFileSync(path.join(path.dirname(main), 'api-client.d.ts'), 'utf8');
}

/**
 * The leaves of a type literal in a .d.ts, with their JSDoc: `{ path: description | '' }`.
 * Reads the format the js-client's generator writes: one member or comment per line.
 */
export function typeLeaves(dts: string, typeName: string): Map<string, string> {
  const start = dts.indexOf(`type ${typeName} = {`);
  if (start < 0) throw new Error(`no type ${typeName} in the js-client's declarations`);
  const leaves = new Map<string, string>();
  const stack: string[] = [];
  let comment = '';
  for (const raw of dts.slice(start).split('\n').slice(1)) {
    const line = raw.trim();
    const doc = /^\/\*\*\s*(.*?)\s*\*\/$/.exec(line);
    if (doc) {
      comment = doc[1] ?? '';
      continue;
    }
    const member = /^'([^']+)'\??:\s*(.*)$/.exec(line);
    if (member) {
      const [, key = '', rest = ''] = member;
      if (rest.startsWith('{')) stack.push(key);
      else leaves.set([...stack, key].join('.'), comment);
      comment = '';
      continue;
    }
    if (/^}/.test(line)) {
      if (stack.length === 0) break;
      stack.pop();
    }
  }
  return leaves;
}

/** Northflank's descriptions of the spec's leaves (paths from the spec's root). */
export function northflankSpecDescriptions(dts: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [leaf, doc] of typeLeaves(dts, 'UpdateLlmmodeldeploymentData')) {
    if (leaf.startsWith('spec.')) out.set(leaf.slice('spec.'.length), doc);
  }
  return out;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** docs/spec-reference.md, before formatting. */
export function renderSpecReference(northflank: ReadonlyMap<string, string>): string {
  const rows = specLeaves().map((leaf) => {
    const theirs = northflank.get(leaf.path) ?? '';
    const ours = SPEC_NOTES[leaf.path];
    if (!theirs && !ours)
      throw new Error(`spec leaf ${leaf.path} has no description: add one to SPEC_NOTES`);
    const description = theirs ? `Northflank: \u201c${theirs}\u201d` : (ours ?? '');
    const flag = vllmFlagFor(leaf.path);
    return `| \`${leaf.path}\` | ${cell(leaf.type)} | ${cell(leaf.allowed)} | ${cell(description)} | ${flag ? `\`${flag}\`` : ''} |`;
  });
  return [
    '# Spec reference',
    '',
    '<!-- Generated by `npm run docs` from src/northflank/schema.ts; `npm run docs:check` fails when it is stale. -->',
    '',
    'Every field the action accepts in `spec` or `spec-file`, with its type and the values it allows.',
    'The action checks them before any request; an unknown key fails with the closest known path',
    '(by name, case or vLLM\u2019s own spelling), e.g. `tensorParallelSize` points to',
    '`configuration.architecture.workerConfig.parallelismConfig.tensorParallelism`. A field',
    'Northflank added after this release can be sent with `allow-unknown-spec-fields: true` (see the',
    'README), unvalidated.',
    '',
    'Northflank merges the spec you send into the current one: a field left out keeps its value.',
    'Descriptions quoted as \u201cNorthflank\u201d are Northflank\u2019s own (from the types of',
    '`@northflank/js-client`); Northflank publishes none for the other fields, whose descriptions',
    'are ours. The last column is vLLM\u2019s engine argument for the same setting.',
    '',
    '| Path | Type | Allowed | Description | vLLM |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
