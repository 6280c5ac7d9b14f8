/**
 * The bundled action (dist/index.js on Node 24) through one preview's life, as a runner runs it:
 * opened creates it, a push updates the same one, closed deletes it and waits for the 404.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { planOfDuration } from '../../emulator/model.js';
import { leaks } from '../helpers/action.js';
import { startWorld } from '../helpers/harness.js';

const REPO = 'acme/models';

describe('the bundled action: a preview from open to close', () => {
  it('creates, updates the same one on a push, deletes it on close', async () => {
    const world = await startWorld({
      runner: 'bundle',
      emulator: { existingTags: ['preview'], plan: planOfDuration(1500), deleteMs: 1500 },
      inputs: { mode: 'preview', 'poll-interval': '1s', timeout: '2m' },
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'nf-preview-e2e-'));
    try {
      const event = (action: string): Record<string, string> => {
        const file = path.join(dir, `${action}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            action,
            pull_request: {
              number: 21,
              head: { sha: 'c'.repeat(40), repo: { full_name: REPO } },
              base: { repo: { full_name: REPO } },
            },
          }),
        );
        return {
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: file,
          GITHUB_REPOSITORY: REPO,
        };
      };
      const opened = await world.run({}, { env: event('opened') });
      expect(opened.code).toBe(0);
      expect(opened.outputs).toMatchObject({
        outcome: 'running',
        'preview-id': 'llama-chat-pr-21',
        'preview-outcome': 'created',
        'preview-url': 'https://http--llama-chat-pr-21--demo-project.emulator.code.run',
      });
      const pushed = await world.run(
        { spec: '{"configuration": {"revision": "v2"}}' },
        { env: event('synchronize') },
      );
      expect(pushed.code).toBe(0);
      expect(pushed.outputs['preview-outcome']).toBe('updated');
      expect(world.emu.deployment('llama-chat-pr-21').configuration.revision).toBe('v2');
      const closed = await world.run({}, { env: event('closed') });
      expect(closed.code).toBe(0);
      expect(closed.outputs).toMatchObject({
        outcome: 'preview-deleted',
        'preview-outcome': 'deleted',
      });
      const creates = world.emu.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/llm-model-deployments'),
      );
      expect(creates).toHaveLength(1);
      expect(world.emu.requests.at(-1)).toMatchObject({ method: 'GET', status: 404 });
      for (const run of [opened, pushed, closed]) expect(leaks(run, world.emu.token)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
