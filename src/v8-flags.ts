import { setFlagsFromString } from 'node:v8';

// Peak memory, measured on Node 24 during a 10 s rollout (npm run bench; README has the method):
// 91 MB with `--liftoff-only` alone against 60 MB for a bare `node` that sends one fetch. V8 reads
// these flags when it next compiles or grows, so setting them before undici's first connection is
// in time:
// - undici parses HTTP with llhttp compiled to WebAssembly, and V8 re-compiles its busy functions
//   with TurboFan: ~20 MB. Liftoff (the baseline compiler) parses a few dozen responses as well.
//   On Node 24 `--liftoff-only` alone no longer does it: V8 derives the no-tier-up flags from it
//   only at start-up, so they are set here too.
// - Maglev and TurboFan for JavaScript: ~3 MB of compiler memory for code that mostly waits on the
//   network between polls.
// - The young generation growing further while the action runs (--semi-space-growth-factor=1).
//
// Not before the bundle loads, though that would also keep the young generation from growing while
// it loads (~3 MB): a flag set at run time changes V8's flag hash, which V8 checks code caches
// against, so every built-in module loaded after it (http, net, tls, streams...) is compiled from
// source: 10-15 ms more start-up, measured. src/index.ts calls this after its imports.

/** Sets the V8 flags that keep the action's peak memory down; call once the bundle has loaded. */
export function setV8Flags(): void {
  setFlagsFromString(
    '--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering --no-maglev --no-turbofan ' +
      '--semi-space-growth-factor=1',
  );
}
