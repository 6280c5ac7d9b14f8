/**
 * How fast the emulated model serves, per configuration, pure. The factors are illustrative, in
 * the direction each setting moves a real vLLM deployment, so that a spec change in the demo or a
 * test changes what the benchmark measures.
 */

/** What a model server injects into each streamed reply. */
export interface LatencyProfile {
  /** From the request arriving (and a slot being free) to the first content chunk. */
  ttftMs: number;
  /** Between content chunks. */
  itlMs: number;
  /** Sequences served at once (vLLM's max_num_seqs); further requests wait for a slot. */
  maxNumSeqs?: number;
}

/** The profile of the demo deployment as seeded: an 8B model on one L4. */
export const DEFAULT_LATENCY: LatencyProfile = { ttftMs: 200, itlMs: 20 };

/** The part of an LLM deployment's configuration that the profile reads. */
export interface ServingConfiguration {
  architecture?: {
    workerConfig?: {
      quantization?: string;
      kvCacheDataType?: string;
      enforceEager?: boolean;
      enableChunkedPrefill?: boolean;
      gpuMemoryUtilization?: number;
      batchingConfig?: { maxNumSeqs?: number };
      parallelismConfig?: { tensorParallelism?: number };
    };
  };
}

/** The latency profile of a configuration, from `base` (the seeded deployment's). */
export function latencyOf(
  configuration: ServingConfiguration | undefined,
  base: LatencyProfile = DEFAULT_LATENCY,
): LatencyProfile {
  const worker = configuration?.architecture?.workerConfig ?? {};
  let ttft = base.ttftMs;
  let itl = base.itlMs;
  // Decoding is memory-bound: fewer bytes per weight, faster tokens; dequantizing costs prefill.
  if (worker.quantization === 'fp8') itl *= 0.8;
  if (['awq', 'gptq', 'int4'].includes(worker.quantization ?? '')) {
    itl *= 0.7;
    ttft *= 1.15;
  }
  if (worker.kvCacheDataType?.startsWith('fp8')) itl *= 0.95;
  // Without CUDA graphs every decode step pays kernel launches.
  if (worker.enforceEager === true) itl *= 1.6;
  if (worker.enableChunkedPrefill === false) ttft *= 1.2;
  // Less memory for the KV cache: more preemption under load.
  if (worker.gpuMemoryUtilization !== undefined && worker.gpuMemoryUtilization < 0.7) {
    ttft *= 1.3;
  }
  const tp = worker.parallelismConfig?.tensorParallelism ?? 1;
  if (tp > 1) {
    itl /= 1 + 0.6 * (tp - 1);
    ttft /= 1 + 0.7 * (tp - 1);
  }
  const maxNumSeqs = worker.batchingConfig?.maxNumSeqs ?? base.maxNumSeqs;
  return {
    ttftMs: Math.round(ttft * 10) / 10,
    itlMs: Math.round(itl * 100) / 100,
    ...(maxNumSeqs === undefined ? {} : { maxNumSeqs }),
  };
}

/** Noise on each reply, as real servers show: a lognormal multiplier, a slow one now and then. */
export interface Jitter {
  /** Sigma of the lognormal per-request multiplier on TTFT and on ITL (0: none). */
  sigma: number;
  /** Chance that a request is slow (a GC pause, a preemption). */
  slowProbability?: number;
  /** How many times slower a slow request is (TTFT and ITL). */
  slowFactor?: number;
  /** Seed of the draws, so that a run can be played again. */
  seed?: number;
}

/** A seeded PRNG (mulberry32) for the jitter's draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One request's profile under `jitter`: TTFT and ITL each times its own lognormal draw. */
export function jittered(
  profile: LatencyProfile,
  jitter: Jitter,
  random: () => number,
): LatencyProfile {
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const slow = random() < (jitter.slowProbability ?? 0) ? (jitter.slowFactor ?? 3) : 1;
  return {
    ...profile,
    ttftMs: profile.ttftMs * Math.exp(jitter.sigma * normal()) * slow,
    itlMs: profile.itlMs * Math.exp(jitter.sigma * normal()) * slow,
  };
}
