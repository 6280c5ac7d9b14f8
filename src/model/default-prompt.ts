/**
 * The benchmark's default prompt: fixed, so that every run (before and after, deploy after
 * deploy) sends the same input, and a few hundred tokens long, so that prefill counts in the time
 * to first token as it does for a chat with some context.
 */
export const DEFAULT_BENCHMARK_PROMPT = [
  'You are reviewing the operations handbook of a small team that runs a language model behind an',
  'HTTP API. The handbook says: every change to the serving configuration (the quantization, the',
  'data type of the key-value cache, the number of sequences batched together, the share of GPU',
  'memory the engine may take, chunked prefill, tensor parallelism, the type and number of GPUs) is',
  'deployed from a pull request, and a workflow rolls it out. The workflow waits until the new',
  'replica runs, sends it one prompt, and then measures it: time to first token, the time between',
  'tokens, the time to the last token, and the tokens generated per second under a fixed load. It',
  'compares these numbers with the ones measured on the replica that served before the change, and',
  'fails when a limit is crossed, so that a slower configuration is reverted before users notice.',
  'The team keeps the prompt, the number of requests, the concurrency and the length of each reply',
  'the same from one deploy to the next, so that the numbers can be compared over time. They read',
  'the median and the 90th percentile first, and they treat the 99th percentile with care when',
  'fewer than a hundred requests were measured, since it is then close to the slowest request.',
  'Write a detailed, well organised explanation for a new engineer of why each of these settings',
  'can change latency or throughput, which direction each change usually moves the numbers, what',
  'to watch for on a busy day, and how to decide whether a regression is worth a revert. Use',
  'short paragraphs, one per setting, and end with a checklist the engineer can follow during an',
  'incident. Do not skip any setting, and give one concrete example for each of them.',
].join(' ');
