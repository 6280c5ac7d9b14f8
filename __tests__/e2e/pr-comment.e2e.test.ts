/**
 * The bundle on a pull_request event, as the runner starts it: the plan lands as a comment on a
 * local GitHub; a fork's run without api-token is skipped with a notice and exits 0.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { leaks, workflowCommands } from '../helpers/action.js';
import { startGitHubComments, startWorld } from '../helpers/harness.js';

function pullRequestEnv(apiUrl: string, headRepository: string): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-event-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify({
      pull_request: {
        number: 7,
        head: {
          sha: 'c0ffee1234567890c0ffee1234567890c0ffee12',
          repo: { full_name: headRepository },
        },
        base: { repo: { full_name: 'acme/models' } },
      },
    }),
  );
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_API_URL: apiUrl,
    GITHUB_RUN_ID: '77',
    GITHUB_TOKEN: 'ghs_workflow_token',
  };
}

describe('the bundle on a pull request', () => {
  it('comments the plan', async () => {
    const world = await startWorld({ runner: 'bundle' });
    const emu = world.emu;
    const github = await startGitHubComments();
    const run = await world.run(
      {
        'dry-run': 'true',
        'pr-comment': 'true',
        spec: '{"configuration": {"name": "Qwen/Qwen3-8B"}}',
      },
      { env: pullRequestEnv(github.url, 'acme/models') },
    );
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('dry-run');
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toMatch(
      /^<!-- northflank-llm-deploy: demo-project\/llama-chat -->\n<!-- northflank-llm-deploy-commit: [0-9a-f]{40} -->\n### Northflank plan: llama chat\n/,
    );
    expect(github.comments[0]?.body).toContain('Merging rolls out a new configuration.');
    expect(github.calls.every((c) => c.authorization === 'token ghs_workflow_token')).toBe(true);
    expect(leaks(run, 'ghs_workflow_token')).toEqual([]);
    expect(leaks(run, emu.token)).toEqual([]);
  });

  it('skips a fork without api-token: a notice, exit 0, nothing sent', async () => {
    const world = await startWorld({ runner: 'bundle' });
    const emu = world.emu;
    const github = await startGitHubComments();
    const run = await world.run(
      {
        'api-token': '',
        'dry-run': 'true',
        'pr-comment': 'true',
        spec: '{"configuration": {"name": "Qwen/Qwen3-8B"}}',
      },
      { env: pullRequestEnv(github.url, 'mallory/models') },
    );
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('skipped');
    expect(emu.requests).toEqual([]);
    expect(github.calls).toEqual([]);
    const notice = workflowCommands(run.stdout).find((l) => l.startsWith('::notice'));
    expect(notice).toMatch(/GitHub gives no secrets to workflows run for pull requests from forks/);
    expect(run.summary).toContain('Skipped');
  });
});
