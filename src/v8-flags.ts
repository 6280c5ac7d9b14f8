import { setFlagsFromString } from 'node:v8';

// Each flag with what it measured (README, Performance): peak RSS of the bundle over a 10 s rollout
// against the emulator, medians of 3 interleaved runs, Node 24 / Node 20; and a micro-check of
// what the coming streaming benchmark does, undici parsing 100k SSE chat-completion chunks from a
// local server plus JSON.parse of each, client CPU time, medians of 7, Node 24.
// - --liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering: undici parses HTTP with llhttp
//   compiled to WebAssembly, and V8 re-compiles its busy functions with TurboFan. Without them the
//   rollout peaks at 86.5 / 92.9 MB, with them 64.8 / 61.3 MB (-22 / -32 MB). Streaming does not
//   suffer: 458 ms of CPU with them, 611 ms without (the tier-up itself costs more than it saves
//   over 100k chunks). Node 24 derives the last two from --liftoff-only only at start-up, so all
//   three are set.
// - --semi-space-growth-factor=1 (the young generation stays at its initial size): nothing in the
//   rollout (64.7 MB against 64.8), but while streaming 81.9 MB against 91.5 MB peak and 383 ms
//   of CPU against 458 ms (pure parsing: 223 ms against 320 ms).
// Not --no-maglev --no-turbofan, which this file set before: 0.1 MB in the rollout, and +11% CPU
// parsing the stream (681 ms against 611 ms; pure parsing 327 ms against 298 ms).
//
// Set once the bundle has loaded, not before: a flag set at run time changes V8's flag hash, which
// V8 checks code caches against, so every built-in module loaded after it (http, net, tls,
// streams...) is compiled from source: 10-15 ms more start-up, measured. src/index.ts calls this
// after its imports, before undici's first connection (V8 reads these when it next compiles or
// grows).

/** Sets the V8 flags that keep the action's peak memory down; call once the bundle has loaded. */
export function setV8Flags(): void {
  setFlagsFromString(
    '--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering --semi-space-growth-factor=1',
  );
}
