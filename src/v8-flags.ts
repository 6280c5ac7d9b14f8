import { setFlagsFromString } from 'node:v8';

// Peak memory, measured on Node 24 during a 10 s rollout (npm run bench; README has the method):
// 91 MB with `--liftoff-only` alone against 60 MB for a bare `node` that sends one fetch. V8 reads these
// flags when it next compiles or grows, so setting them here, before the rest of the bundle loads
// (src/index.ts imports this module first), is in time:
// - undici parses HTTP with llhttp compiled to WebAssembly, and V8 re-compiles its busy functions
//   with TurboFan: ~20 MB. Liftoff (the baseline compiler) parses a few dozen responses as well.
//   On Node 24 `--liftoff-only` alone no longer does it: V8 derives the no-tier-up flags from it
//   only at start-up, so they are set here too.
// - Maglev and TurboFan for JavaScript: ~3 MB of compiler memory for code that mostly waits on the
//   network between polls.
// - The young generation grows from 1 MB to 16 MB while the bundle loads: ~3 MB, for garbage that
//   a 1 MB young generation collects as well.
setFlagsFromString(
  '--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering --no-maglev --no-turbofan ' +
    '--semi-space-growth-factor=1',
);
