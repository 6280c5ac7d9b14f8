/**
 * `npm run demo -- --preview`: a pull request's preview through its life, against the emulator,
 * its model server (production and the preview, each at its configuration's speed) and GitHub's
 * stand-in for the sticky comment: opened (created from production with the pull request's
 * spec, benchmarked beside production), a push (the same preview updated), closed (deleted, and
 * waited for until Northflank answers 404). Prints each run's outputs, the last comment and the
 * job summary of the first run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startFakeGitHubComments } from '../emulator/github.js';
import { latencyOf } from '../emulator/latency.js';
import { startModelServer } from '../emulator/model-server.js';
import { emulatorInputs, startEmulator } from '../emulator/server.js';
import { runAction } from './local-runner.js';

const REPO = 'acme/models';
const PR = 42;

/** Runs the three events; resolves to the exit code (0 when each run did what it should). */
export async function previewDemo(): Promise<number> {
  const emulator = await startEmulator({
    existingTags: ['llm', 'preview'],
    plan: { pendingMs: 1000, provisioningMs: 3000, startingMs: 2000 },
    deleteMs: 3000,
  });
  const model = await startModelServer({
    model: () => emulator.deployment().configuration.name ?? '',
    latency: () => latencyOf(emulator.deployment().configuration),
    deployments: (id) => {
      const d = emulator.all().find((k) => k.id === id);
      return d
        ? { model: d.configuration.name ?? '', latency: latencyOf(d.configuration) }
        : undefined;
    },
  });
  const github = await startFakeGitHubComments();
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-demo-preview-'));
  console.log(
    `Northflank API emulator on ${emulator.url}; model server on ${model.url}; GitHub on ${github.url}`,
  );
  const inputs = {
    ...emulatorInputs(emulator),
    mode: 'preview',
    'poll-interval': '1s',
    timeout: '3m',
    'pr-comment': 'true',
    'github-token': 'demo-github-token',
    'preview-gpu-types': 'nvidia-l4',
    'preview-max-gpus': '1',
    'smoke-url': model.url,
    'preview-smoke-url': `${model.url}/deployments/llama-chat-pr-${PR}`,
  };
  const event = (action: string): Record<string, string> => {
    const file = path.join(dir, `${action}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        action,
        pull_request: {
          number: PR,
          head: { sha: 'd'.repeat(40), repo: { full_name: REPO } },
          base: { repo: { full_name: REPO } },
        },
      }),
    );
    return {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: file,
      GITHUB_REPOSITORY: REPO,
      GITHUB_API_URL: github.url,
    };
  };
  const steps: [string, Record<string, string>, string][] = [
    [
      'opened: the preview is created from production with fp8 quantization, and benchmarked beside production',
      {
        spec: '{"configuration": {"architecture": {"workerConfig": {"quantization": "fp8"}}}}',
        benchmark:
          'requests: 16\nconcurrency: 8\nmax-tokens: 24\nfail-if:\n  itl-p50: +20%\n  error-rate: 10%',
      },
      'opened',
    ],
    [
      'synchronize: a push changes the revision; the same preview is updated',
      {
        spec: '{"configuration": {"revision": "v2", "architecture": {"workerConfig": {"quantization": "fp8"}}}}',
      },
      'synchronize',
    ],
    ['closed: the preview is deleted and waited for until Northflank answers 404', {}, 'closed'],
  ];
  let code = 0;
  let firstSummary = '';
  try {
    for (const [title, extra, action] of steps) {
      console.log(`\n=== ${title} ===\n`);
      const run = await runAction({
        inputs: { ...inputs, ...extra },
        env: event(action),
        echo: process.stdout,
      });
      firstSummary ||= run.summary;
      console.log(`\n--- exit code ${String(run.code)}; outputs ---`);
      for (const name of ['outcome', 'preview-id', 'preview-url', 'preview-outcome']) {
        console.log(`${name} = ${run.outputs[name] ?? ''}`);
      }
      if (run.code !== 0) code = 1;
    }
    console.log('\n--- the job summary of the first run (Markdown) ---');
    console.log(firstSummary);
    console.log('--- the sticky pull request comment, last written (Markdown) ---');
    console.log(github.comments[0]?.body ?? '(none)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await github.close();
    await model.close();
    await emulator.close();
  }
  return code;
}
