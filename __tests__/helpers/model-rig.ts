/**
 * The emulator and its model server on a ScaledClock, for running the action in-process with a
 * benchmark: the run's waits pass on the fake clock, the model's streams in real time.
 */
import {
  startModelServer,
  type ModelServer,
  type ModelServerOptions,
} from '../../emulator/model-server.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { ScaledClock } from './scaled-clock.js';

export interface ModelRig {
  clock: ScaledClock;
  emu: Emulator;
  server: ModelServer;
  close: () => Promise<void>;
}

/**
 * Starts both. The model server serves the deployment's model, 10 ms to the first token and 5 ms
 * between tokens, unless `model` (given the emulator and the clock) says otherwise.
 */
export async function startModelRig(
  emulator: EmulatorOptions,
  model: (emu: Emulator, clock: ScaledClock) => Partial<ModelServerOptions> = () => ({}),
): Promise<ModelRig> {
  const clock = new ScaledClock(Date.now());
  const emu = await startEmulator({ now: () => clock.now(), ...emulator });
  const server = await startModelServer({
    model: () => emu.deployment().configuration.name ?? '',
    latency: { ttftMs: 10, itlMs: 5 },
    ...model(emu, clock),
  });
  return {
    clock,
    emu,
    server,
    close: async () => {
      await server.close();
      await emu.close();
    },
  };
}
