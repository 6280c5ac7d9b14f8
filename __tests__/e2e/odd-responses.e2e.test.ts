/**
 * The bundled action against a scripted API, for what the in-process runs of
 * odd-responses.scenario.test.ts cannot show: the GitHub client, which the bundle loads on
 * demand and which reads its environment once, when it loads.
 */
import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionRun } from '../helpers/action.js';
import { startScriptedWorld } from '../helpers/harness.js';
import { deployment, rollout, type Script, type ScriptedApi } from '../helpers/scripted-api.js';
import { ODD_RESPONSES_INPUTS } from '../helpers/twins.js';

async function runAgainst(
  script: Script,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<{ run: ActionRun; api: ScriptedApi }> {
  const world = await startScriptedWorld(script, {
    runner: 'bundle',
    inputs: ODD_RESPONSES_INPUTS,
  });
  return { run: await world.run(inputs, { env }), api: world.api };
}

describe('connection problems', () => {
  it('does not blame permissions when GitHub cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { run } = await runAgainst(
      rollout(
        deployment(),
        // The spec merged: the model from before, the revision sent.
        deployment({
          deploymentConfiguration: { id: 'cfg-2' },
          spec: {
            type: 'custom',
            configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'v2' },
          },
        }),
      ),
      {
        spec: '{"configuration": {"revision": "v2"}}',
        environment: 'production',
        'github-token': 'ghs_x',
      },
      {
        GITHUB_API_URL: `http://127.0.0.1:${port}`,
        GITHUB_REPOSITORY: 'acme/models',
        GITHUB_SHA: 'c0ffee',
        GITHUB_RUN_ID: '77',
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Could not record a GitHub deployment/);
    expect(run.stdout).not.toMatch(/permissions: deployments: write/);
  });
});
