/**
 * run() in-process against a scripted API (not the emulator, as in-process.ts): each reading
 * given in order, for the cases the emulator does not make (stale replicas, foreign updates).
 */
import { run } from '../../src/main.js';
import type { RunReport } from '../../src/action/report.js';
import { FakeClock } from './fake-clock.js';
import { recordingLogger } from './recording-logger.js';
import {
  deployment,
  scriptedInputs,
  startScriptedApi,
  type Script,
  type ScriptedRequest,
} from './scripted-api.js';

/** What one in-process run left behind: the report, its outputs, log lines and summary. */
export interface ScriptedRun {
  report: RunReport;
  outputs: Record<string, string>;
  lines: string[];
  log: string;
  summary: string;
  requests: ScriptedRequest[];
  /** The bodies of the POSTs (updates), parsed. */
  posts: unknown[];
  /** How long the run took on its fake clock. */
  fakeMs: number;
}

/**
 * Runs `run()` in-process against a scripted API on 127.0.0.1, with a fake clock (pauses take no
 * time) and the inputs given over those that point at the server.
 */
export async function runScripted(
  script: Script,
  inputs: Record<string, string>,
): Promise<ScriptedRun> {
  const api = await startScriptedApi(script);
  try {
    const values: Record<string, string> = {
      ...scriptedInputs(api),
      'poll-interval': '5s',
      timeout: '10m',
      'rollout-start-grace': '30s',
      ...inputs,
    };
    const { log, lines } = recordingLogger();
    const outputs: Record<string, string> = {};
    const summaries: string[] = [];
    const clock = new FakeClock();
    const startMs = clock.now();
    const report = await run({
      inputs: {
        getInput: (name) => values[name] ?? '',
        setSecret: () => undefined,
        readFile: () => '',
        workspace: '/work/repo',
      },
      clock,
      random: () => 0.5,
      signal: new AbortController().signal,
      log,
      outputs: { setOutput: (name, value) => (outputs[name] = value) },
      summary: {
        write: (markdown) => {
          summaries.push(markdown);
          return Promise.resolve();
        },
      },
    });
    const posts = api.requests
      .filter((r) => r.method === 'POST')
      .map((r) => JSON.parse(r.body) as unknown);
    return {
      report,
      outputs,
      lines,
      log: lines.join('\n'),
      summary: summaries.join('\n'),
      requests: api.requests,
      posts,
      fakeMs: clock.now() - startMs,
    };
  } finally {
    await api.close();
  }
}

/**
 * An API whose GETs answer from `phases[n]` after n accepted POSTs (the last phase repeats), one
 * reading after another within a phase (its last reading repeats). POSTs answer 200.
 */
export function phased(phases: Record<string, unknown>[][]): Script {
  let posts = 0;
  let readsInPhase = 0;
  return (request) => {
    if (request.method === 'POST') {
      posts++;
      readsInPhase = 0;
      return { status: 200, body: { data: { id: 'llama-chat' } } };
    }
    const phase = phases[Math.min(posts, phases.length - 1)] ?? [];
    const answer = phase[Math.min(readsInPhase, phase.length - 1)];
    readsInPhase++;
    return { body: { data: answer } };
  };
}

/** A reading: configuration `cfg` created at minute `minute` of 2026-01-01, with overrides. */
export function reading(
  cfg: string,
  minute: number,
  status: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return deployment({
    status,
    deploymentConfiguration: { id: cfg, createdAt: at },
    updatedAt: at,
    ...overrides,
  });
}

/** A spec (as GET shows it) with the model `name` and more configuration. */
export function specOf(name: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'custom', configuration: { name, ...more } };
}
