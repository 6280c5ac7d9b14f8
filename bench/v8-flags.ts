/**
 * `npm run bench:v8-flags`: what src/v8-flags.ts costs or saves while streaming, the work of the
 * coming model benchmark. A local server streams 100k SSE chat-completion chunks (one HTTP chunk
 * each); a client on Node 24 reads them with the action's undici and JSON.parses each, with each
 * set of flags applied at run time as the action does. Interleaved rounds (BENCH_RUNS, default 7),
 * medians of the client's CPU time and peak RSS. The rollout side (peak RSS over a rollout) is in
 * `npm run bench`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../scripts/local-runner.js';
import { noteActionNode } from '../scripts/action-node.js';

const ROUNDS = Math.max(3, Number(process.env.BENCH_RUNS ?? 7));
const CHUNKS = 100_000;
const WASM = '--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering';
const VARIANTS: Record<string, string> = {
  'no flags': '',
  'wasm flags': WASM,
  'wasm flags + --semi-space-growth-factor=1 (src/v8-flags.ts)': `${WASM} --semi-space-growth-factor=1`,
  '--no-maglev --no-turbofan': '--no-maglev --no-turbofan',
};

const work = path.join(ROOT, 'build', 'bench-work');
const SERVER = path.join(work, 'sse-server.mjs');
const CLIENT = path.join(work, 'sse-client.mjs');
const chunk =
  '`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",' +
  '"choices":[{"index":0,"delta":{"content":"tok${i % 1000}"},"finish_reason":null}]}\\n\\n`';
writeFileSync(
  SERVER,
  `import { createServer } from 'node:http';
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const pump = () => {
    for (let k = 0; k < 200 && i < ${String(CHUNKS)}; k++, i++) res.write(${chunk});
    if (i < ${String(CHUNKS)}) setImmediate(pump);
    else res.end('data: [DONE]\\n\\n');
  };
  pump();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`,
);
writeFileSync(
  CLIENT,
  `import { setFlagsFromString } from 'node:v8';
import { readFileSync } from 'node:fs';
const undici = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'node_modules', 'undici', 'index.js')).href)});
if (process.env.V8_FLAGS) setFlagsFromString(process.env.V8_FLAGS);
let tokens = 0;
const cpu0 = process.cpuUsage();
const { body } = await undici.request('http://127.0.0.1:' + process.env.PORT + '/', { dispatcher: new undici.Agent() });
body.setEncoding('utf8');
let buffer = '';
for await (const piece of body) {
  buffer += piece;
  let at;
  while ((at = buffer.indexOf('\\n\\n')) !== -1) {
    const data = buffer.slice(6, at);
    buffer = buffer.slice(at + 2);
    if (data !== '[DONE]' && typeof JSON.parse(data).choices[0].delta.content === 'string') tokens++;
  }
}
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ tokens, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: Number(/^VmHWM:\\s*(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? process.resourceUsage().maxRSS) / 1024 }));
`,
);

const node = noteActionNode(ROOT).execPath;
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const samples: Record<string, { cpuMs: number[]; rssMb: number[] }> = {};
console.error(`Streaming ${String(CHUNKS)} SSE chunks, ${String(ROUNDS)} interleaved rounds...`);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, flags] of Object.entries(VARIANTS)) {
    const server = spawn(node, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve) =>
      server.stdout.once('data', (data: Buffer) => {
        resolve(data.toString().trim());
      }),
    );
    const out = execFileSync(node, [CLIENT], {
      env: { PATH: process.env.PATH ?? '', PORT: port, V8_FLAGS: flags },
      encoding: 'utf8',
    });
    server.kill();
    const result = JSON.parse(out) as { tokens: number; cpuMs: number; rssMb: number };
    if (result.tokens !== CHUNKS) throw new Error(`${name}: ${String(result.tokens)} chunks read`);
    const entry = (samples[name] ??= { cpuMs: [], rssMb: [] });
    entry.cpuMs.push(result.cpuMs);
    entry.rssMb.push(result.rssMb);
  }
}
console.log(`| Flags (medians of ${String(ROUNDS)}) | client CPU | peak RSS |`);
console.log('| --- | --- | --- |');
for (const [name, { cpuMs, rssMb }] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(cpuMs).toFixed(0)} ms | ${median(rssMb).toFixed(1)} MB |`);
}
