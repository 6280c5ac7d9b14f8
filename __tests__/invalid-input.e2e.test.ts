/**
 * Invalid input through the bundled action: the step fails before any request, naming the
 * input. Each kind of invalid input is in invalid-input.scenario.test.ts, in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator, emulatorInputs } from '../emulator/server.js';
import { leaks, runAction } from './helpers/action.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

describe('invalid input fails the step before any request', () => {
  it.each([['missing token', { 'api-token': '' }, /Input "api-token" is invalid: is required/]])(
    '%s',
    async (_case, inputs, message) => {
      const before = emu.requests.length;
      const run = await runAction({
        inputs: {
          ...emulatorInputs(emu),
          ...inputs,
        },
      });
      expect(run.code).toBe(1);
      expect(emu.requests.length).toBe(before);
      expect(run.stdout).toMatch(/^::error title=Invalid input::/m);
      expect(run.stdout).toMatch(message);
      expect(run.outputs.outcome).toBe('error');
      expect(leaks(run, emu.token)).toEqual([]);
    },
  );
});
