/**
 * GitHub deployments through the bundled action, against a local fake of GitHub's API: the
 * bundle loads the GitHub client on demand, and it reads its environment once, as it loads.
 * The rest of the workflow experience runs in-process in workflow.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { leaks } from '../helpers/action.js';
import { startGitHub, type World } from '../helpers/harness.js';
import { FAST_PLAN, startTwin, WORKFLOW } from '../helpers/twins.js';

const SPEC = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } });

let world: World<'bundle'>;
async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(WORKFLOW, 'bundle', options);
  return world.emu;
}

describe('GitHub deployments', () => {
  const githubEnv = (url: string): Record<string, string> => ({
    GITHUB_API_URL: url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_SHA: 'c0ffee',
    GITHUB_RUN_ID: '77',
    GITHUB_TOKEN: 'ghs_workflow_token',
  });

  it('records the rollout: created for the commit, in_progress while waiting, success with the URL', async () => {
    await emulator();
    const github = await startGitHub();
    const run = await world.run(
      { spec: SPEC, environment: 'production' },
      { env: githubEnv(github.url) },
    );
    expect(run.code).toBe(0);
    expect(github.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /repos/acme/models/deployments',
      'POST /repos/acme/models/deployments/4242/statuses',
      'POST /repos/acme/models/deployments/4242/statuses',
    ]);
    expect(github.calls[0]?.body).toMatchObject({
      ref: 'c0ffee',
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
    });
    expect(github.calls[1]?.body).toMatchObject({
      state: 'in_progress',
      log_url: 'https://github.example/acme/models/actions/runs/77',
    });
    expect(github.calls[2]?.body).toMatchObject({
      state: 'success',
      environment_url: 'https://http--llama-chat--demo-project.emulator.code.run',
    });
    expect(github.calls.every((c) => c.authorization === 'token ghs_workflow_token')).toBe(true);
    expect(leaks(run, 'ghs_workflow_token')).toEqual([]);
    // The GitHub deployment was created once the update was accepted.
    const firstGitHubCall = run.stdout.indexOf('GitHub deployment 4242');
    expect(firstGitHubCall).toBeGreaterThan(run.stdout.indexOf('Update accepted'));
  });

  it('marks a crashed rollout as failure', async () => {
    await emulator({ plan: { ...FAST_PLAN, ending: 'crashed' } });
    const github = await startGitHub();
    const run = await world.run(
      { spec: SPEC, environment: 'staging' },
      { env: githubEnv(github.url) },
    );
    expect(run.code).toBe(1);
    expect(github.calls.at(-1)?.body).toMatchObject({ state: 'failure' });
  });

  it('marks a reverted rollout as failure, and an unchanged deploy as success', async () => {
    const emu = await emulator({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const github = await startGitHub();
    const reverted = await world.run(
      // Polled every second, the revert's reads stay within the request budget's burst: at
      // 200 ms the budget spaces the last one out by 6 s of real time.
      { spec: SPEC, environment: 'staging', 'revert-on-failure': 'true', 'poll-interval': '1s' },
      { env: githubEnv(github.url) },
    );
    expect(reverted.outputs.outcome).toBe('reverted');
    expect(github.calls.at(-1)?.body).toMatchObject({ state: 'failure' });

    const unchanged = await world.run(
      { description: emu.deployment().description ?? '', environment: 'staging' },
      { env: githubEnv(github.url) },
    );
    expect(unchanged.outputs.outcome).toBe('unchanged');
    expect(github.calls.at(-1)?.body).toMatchObject({ state: 'success' });
  });

  it('warns, and still deploys, when the token may not create deployments', async () => {
    await emulator();
    const github = await startGitHub({ refuse: true });
    const run = await world.run(
      { spec: SPEC, environment: 'production' },
      { env: githubEnv(github.url) },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^::warning::Could not record a GitHub deployment to "production": .*Resource not accessible by integration.*deployments: write/m,
    );
  });
});
