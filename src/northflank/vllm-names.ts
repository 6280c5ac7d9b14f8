/**
 * vLLM's own names for the settings Northflank's spec carries under other names. A user who knows
 * vLLM writes `tensorParallelSize` or `max_model_len`; these point them at the spec's path.
 * Keys are vLLM's engine arguments (`vllm serve --help`, `EngineArgs`), in their CLI spelling.
 */
export const VLLM_FLAGS: Readonly<Record<string, string>> = {
  '--model': 'configuration.name',
  '--revision': 'configuration.revision',
  '--tensor-parallel-size':
    'configuration.architecture.workerConfig.parallelismConfig.tensorParallelism',
  '--pipeline-parallel-size':
    'configuration.architecture.workerConfig.parallelismConfig.pipelineParallelism',
  '--enable-expert-parallel':
    'configuration.architecture.workerConfig.parallelismConfig.expertParallelism',
  '--max-model-len': 'configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength',
  '--max-num-seqs': 'configuration.architecture.workerConfig.batchingConfig.maxNumSeqs',
  '--max-num-batched-tokens':
    'configuration.architecture.workerConfig.batchingConfig.maxNumBatchedTokens',
  '--gpu-memory-utilization': 'configuration.architecture.workerConfig.gpuMemoryUtilization',
  '--enforce-eager': 'configuration.architecture.workerConfig.enforceEager',
  '--enable-chunked-prefill': 'configuration.architecture.workerConfig.enableChunkedPrefill',
  '--enable-prefix-caching': 'configuration.architecture.workerConfig.enablePrefixCaching',
  '--async-scheduling': 'configuration.architecture.workerConfig.enableAsyncScheduling',
  '--trust-remote-code': 'configuration.architecture.workerConfig.trustRemoteCode',
  '--dtype': 'configuration.architecture.workerConfig.dataType',
  '--kv-cache-dtype': 'configuration.architecture.workerConfig.kvCacheDataType',
  '--quantization': 'configuration.architecture.workerConfig.quantization',
};

/** A key reduced to what spellings share: lower case, letters and digits only. */
export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The vLLM flag for a spec path, if vLLM has one, e.g. `--max-model-len`. */
export function vllmFlagFor(path: string): string | undefined {
  return Object.entries(VLLM_FLAGS).find(([, to]) => to === path)?.[0];
}

/** The spec path for a key spelt as vLLM spells one of its flags, in any case or style. */
export function pathForVllmName(key: string): { path: string; flag: string } | undefined {
  const wanted = normaliseKey(key);
  const found = Object.entries(VLLM_FLAGS).find(([flag]) => normaliseKey(flag) === wanted);
  return found ? { flag: found[0], path: found[1] } : undefined;
}
