/**
 * `npm run try -- <workflow.yml> [--job <id>] [--step <id, name or position>] [--event <name>] …`:
 * runs one step of a user's own workflow that uses this action, with the inputs its `with:`
 * gives (action.yml's defaults applied, expressions evaluated as a runner would), against the
 * local Northflank API emulator (seeded with the workflow's own project, deployment and team
 * ids), its model server and a local GitHub stand-in, with the user's repository as the
 * workspace. Prints the inputs it used, the action's log, the pull request comment, the GitHub
 * deployment, the job summary and the outputs; exits with the action's exit code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startFakeGitHubComments } from '../emulator/github.js';
import { latencyOf } from '../emulator/latency.js';
import { startModelServer } from '../emulator/model-server.js';
import type { RolloutEnding } from '../emulator/model.js';
import { DEMO_DEPLOYMENT, EMULATOR_TOKEN, startEmulator } from '../emulator/server.js';
import { parseHttpUrl } from '../src/config/scalars.js';
import { previewId } from '../src/rollout/preview-identity.js';
import { actionYml, runAction } from './local-runner.js';
import { planTry, PULL_REQUEST_EVENTS, TryError, type TryPlan } from './try-workflow.js';

export const USAGE = `Usage: npm run try -- <workflow.yml> [options]

Runs the step of your workflow that uses this action against a local Northflank API emulator,
a model server and a GitHub stand-in: your inputs, action.yml's defaults, your repository as
the workspace (GITHUB_WORKSPACE: spec-file is read relative to it). Nothing leaves this machine.

  --job <id>            the job (needed when several jobs use the action)
  --step <id|name|n>    the step: its id, its name or its position in the job (1 is the first)
  --event <name>        push, pull_request, schedule, … (default: from the job's if:, else the
                        first event the workflow's on: lists)
  --type <type>         a pull_request(_target) event's type, its payload's action: opened,
                        synchronize, reopened, closed, … (default: the first of the workflow's
                        on.pull_request.types, else opened). With mode: preview, closed runs the
                        step twice: first as opened, which creates the preview (one try run starts
                        with none), then as closed, which deletes it
  --workspace <dir>     the repository root (default: the folder holding .github/workflows/,
                        else the current folder)
  --matrix <key=value>  a matrix value (default: the matrix's first row); repeatable
  --var <NAME=value>    a value for \${{ vars.NAME }}; repeatable
  --secret <NAME=value> a value for \${{ secrets.NAME }}; without it, a secret is the emulator's
                        token where api-token reads it and a placeholder elsewhere; repeatable
  --set <input=value>   an input's value instead of the workflow's (also for what cannot be
                        evaluated locally, such as \${{ steps.x.outputs.y }}); repeatable.
                        api-token from --set (or a --secret it reads) is sent as given: the
                        emulator answers 401 to any other than its own token, as Northflank
                        would to a wrong one, and the action refuses an empty one; any other
                        api-token gets the emulator's token. A smoke-url or
                        preview-smoke-url the action accepts is pointed at the local model server
                        (a trailing /v1 kept); one it rejects is passed as given
  --crash               the emulator crashes the new rollout (see revert-on-failure at work)
  --ending <status>     how the rollout ends: running (default), crashed, paused or deleted
  --help                this text
`;

const ENDINGS: readonly RolloutEnding[] = ['running', 'crashed', 'paused', 'deleted'];
const GITHUB_TOKEN = 'ghs_local_try_token';
const HEAD_SHA = '0000000000000000000000000000000000000001';
/** The pull request a pull_request event's payload names. */
const PULL_REQUEST = 1;

/** What the command line asks for. */
export interface TryOptions {
  file: string;
  job: string | undefined;
  step: string | undefined;
  event: string | undefined;
  type: string | undefined;
  workspace: string | undefined;
  matrix: Record<string, string>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  set: Record<string, string>;
  ending: RolloutEnding;
  help: boolean;
}

/** A command line `try` cannot run with. */
export class TryUsageError extends Error {}

function pairs(option: string, values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of values ?? []) {
    const at = text.indexOf('=');
    if (at <= 0) throw new TryUsageError(`${option} takes NAME=value, got "${text}".`);
    out[text.slice(0, at)] = text.slice(at + 1);
  }
  return out;
}

/** Reads the command line; relative paths are taken from `cwd` (npm's INIT_CWD: where you typed it). Pure. */
export function parseTryOptions(argv: string[], cwd: string): TryOptions {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new TryUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { ...EMPTY, help: true };
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new TryUsageError(
      'Give one workflow file, e.g. ../my-repo/.github/workflows/deploy.yml.',
    );
  }
  const ending = values.crash ? 'crashed' : (values.ending ?? 'running');
  if (!(ENDINGS as readonly string[]).includes(ending)) {
    throw new TryUsageError(`--ending takes one of ${ENDINGS.join(', ')}, got "${ending}".`);
  }
  return {
    file: path.resolve(cwd, positionals[0]),
    job: values.job,
    step: values.step,
    event: values.event,
    type: values.type,
    workspace: values.workspace === undefined ? undefined : path.resolve(cwd, values.workspace),
    matrix: pairs('--matrix', values.matrix),
    vars: pairs('--var', values.var),
    secrets: pairs('--secret', values.secret),
    set: pairs('--set', values.set),
    ending: ending as RolloutEnding,
    help: false,
  };
}

const OPTIONS = {
  job: { type: 'string' },
  step: { type: 'string' },
  event: { type: 'string' },
  type: { type: 'string' },
  workspace: { type: 'string' },
  matrix: { type: 'string', multiple: true },
  var: { type: 'string', multiple: true },
  secret: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  crash: { type: 'boolean' },
  ending: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const EMPTY: TryOptions = {
  file: '',
  job: undefined,
  step: undefined,
  event: undefined,
  type: undefined,
  workspace: undefined,
  matrix: {},
  vars: {},
  secrets: {},
  set: {},
  ending: 'running',
  help: false,
};

/** The repository a workflow file belongs to: the folder above `.github/workflows/`, else `fallback`. */
export function workspaceOf(file: string, fallback: string): string {
  const dir = path.dirname(file);
  if (path.basename(dir) === 'workflows' && path.basename(path.dirname(dir)) === '.github') {
    return path.dirname(path.dirname(dir));
  }
  return fallback;
}

function gitHead(workspace: string): string {
  try {
    const sha = execFileSync('git', ['-C', workspace, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : HEAD_SHA;
  } catch {
    return HEAD_SHA;
  }
}

function enabled(value: string | undefined): boolean {
  const text = (value ?? '').trim().toLowerCase();
  return text !== '' && text !== 'false';
}

/**
 * Where a model URL input goes locally: to `local` when the action accepts the value (with its
 * trailing /v1 kept, so the action meets it as on GitHub), or left as given when the action's own
 * input check rejects it (so its error shows, as on GitHub). Pure.
 */
export function localModelUrl(
  name: 'smoke-url' | 'preview-smoke-url',
  given: string | undefined,
  local: string,
  fallback: string,
): { value: string | undefined; change: string } {
  if (given === undefined || given === '') {
    return { value: local, change: `${name} (${fallback}) -> the local model server` };
  }
  let url: URL;
  try {
    url = parseHttpUrl(name, given);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      value: given,
      change: `${name} left as given: the action rejects it, as on GitHub (${why})`,
    };
  }
  if (/\/v1$/i.test(url.pathname)) {
    return {
      value: `${local}/v1`,
      change: `${name} ${given} -> the local model server, its /v1 kept (the action adds /v1 itself, so it asks for .../v1/v1/models, as on GitHub)`,
    };
  }
  return { value: local, change: `${name} ${given} -> the local model server` };
}

/** What `try` changes so the step runs locally, each change with its reason. */
export function pointAtEmulator(
  plan: TryPlan,
  targets: { apiUrl: string; modelUrl: string; previewUrl?: string },
): { inputs: Record<string, string>; changes: string[] } {
  const inputs = { ...plan.inputs };
  const changes: string[] = [];
  if (inputs['api-url'] !== undefined) changes.push(`api-url ${inputs['api-url']} -> the emulator`);
  inputs['api-url'] = targets.apiUrl;
  const token = inputs['api-token'];
  if (plan.given.includes('api-token')) {
    // A token typed on the command line is the one to rehearse: a wrong one gets the 401.
    if (token === '' || token === undefined) {
      changes.push('api-token kept as given: empty (the action says what it needs)');
    } else if (token !== EMULATOR_TOKEN) {
      changes.push(
        `api-token kept as given (not the emulator's token: the emulator answers 401, as Northflank would)`,
      );
    }
  } else if (token !== undefined && token !== '' && token !== EMULATOR_TOKEN) {
    changes.push("api-token -> the emulator's token (--set api-token=… to send another)");
    inputs['api-token'] = EMULATOR_TOKEN;
  }
  const defaults = actionYml().inputs;
  const valueOf = (name: string): string | undefined => inputs[name] ?? defaults[name]?.default;
  const probes = enabled(valueOf('smoke-test')) || enabled(valueOf('benchmark'));
  const preview = (valueOf('mode') ?? '').trim() === 'preview';
  const urls: ['smoke-url' | 'preview-smoke-url', string, string][] = [
    ['smoke-url', targets.modelUrl, "the deployment's public URL"],
  ];
  if (preview && targets.previewUrl !== undefined) {
    urls.push(['preview-smoke-url', targets.previewUrl, "the preview's public URL"]);
  }
  // Without a smoke test or a benchmark nothing is probed: the URLs are only checked.
  for (const [name, local, fallback] of probes ? urls : []) {
    const { value, change } = localModelUrl(name, inputs[name], local, fallback);
    changes.push(change);
    if (value !== undefined) inputs[name] = value;
  }
  // The emulator's rollouts take seconds: a poll-interval of 30s would only make the run wait.
  const waits = enabled(valueOf('wait')) && !enabled(valueOf('dry-run'));
  if (waits && inputs['poll-interval'] !== '1s') {
    changes.push(
      `poll-interval ${inputs['poll-interval'] ?? `${defaults['poll-interval']?.default ?? ''} (default)`} -> 1s (the emulator's rollout takes about 5 s)`,
    );
    inputs['poll-interval'] = '1s';
  }
  return { inputs, changes };
}

function fail(message: string, code: number): never {
  process.stderr.write(`try: ${message}\n`);
  process.exit(code);
}

/** Where `runTry` writes, and (for tests) how long the emulator's rollout phases take. */
export interface TryIo {
  print: (text: string) => void;
  /** The action's log, as it comes. */
  echo: NodeJS.WritableStream;
  rollout?: { pendingMs: number; provisioningMs: number; startingMs: number };
  /** How long a deleted deployment (a closed preview) shows `deleting`: 2 s by default. */
  deleteMs?: number;
}

/** What a run did, for the caller's exit code (and a test's checks). */
export interface TryResult {
  code: number;
  outputs: Record<string, string>;
  summary: string;
  comments: string[];
  /** The states of each GitHub deployment the action recorded, in order. */
  deployments: string[][];
  /** Requests that create or update (POSTs): a preview's create counts too. */
  updates: number;
  /** The ids of the deployments the emulator holds at the end (deleted or deleting ones left out). */
  held: string[];
}

/** Runs the command. */
export async function runTry(options: TryOptions, io: TryIo): Promise<TryResult> {
  const { print } = io;
  if (!existsSync(options.file) || !statSync(options.file).isFile()) {
    throw new TryUsageError(`No workflow file at ${options.file}.`);
  }
  const workspace = options.workspace ?? workspaceOf(options.file, process.cwd());
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    throw new TryUsageError(`The workspace ${workspace} is not a folder (--workspace).`);
  }
  const repository = `local/${path.basename(workspace) || 'repository'}`;
  const sha = gitHead(workspace);
  // Pull request #1, open, at this commit: the one a pull_request event's payload names.
  // Read live: a closed event's pull request is closed when that run asks.
  const pullRequests: Record<number, 'open' | 'closed'> = { [PULL_REQUEST]: 'open' };
  const github = await startFakeGitHubComments({ heads: { [PULL_REQUEST]: sha }, pullRequests });
  let plan: TryPlan;
  try {
    plan = planTry(
      readFileSync(options.file, 'utf8'),
      {
        job: options.job,
        step: options.step,
        event: options.event,
        type: options.type,
        matrix: options.matrix,
        vars: options.vars,
        secrets: options.secrets,
        set: options.set,
      },
      {
        secret: (name, input) =>
          input === 'api-token'
            ? EMULATOR_TOKEN
            : input === 'github-token'
              ? GITHUB_TOKEN
              : `local-placeholder-for-${name}`,
        github: {
          token: GITHUB_TOKEN,
          sha,
          ref: 'refs/heads/main',
          ref_name: 'main',
          repository,
          repository_owner: 'local',
          actor: 'you',
          run_id: '1',
          run_number: '1',
          run_attempt: '1',
          workspace,
          job: options.job ?? '',
          server_url: 'https://github.com',
          api_url: github.url,
          head_ref: 'your-branch',
          base_ref: 'main',
          'event.pull_request.number': '1',
          'event.pull_request.head.sha': sha,
          'event.number': '1',
        },
      },
    );
  } catch (error) {
    await github.close();
    throw error;
  }
  if (plan.unresolved.length > 0) {
    await github.close();
    throw new TryUsageError(
      [
        `These inputs of ${plan.step} cannot be evaluated outside a workflow run:`,
        ...plan.unresolved.map(
          (u) =>
            `  ${u.input}: ${u.expression} (${u.reason}); give it with --set ${u.input}=<value>`,
        ),
      ].join('\n'),
    );
  }
  // Passed on as the runner does (INPUT_<NAME>, whatever its case): the action fails the step on
  // a name it does not have, so a misspelt key fails here as on GitHub.
  const declared = Object.keys(actionYml().inputs);
  const unexpected = Object.keys(plan.inputs).filter(
    (name) => !declared.includes(name.toLowerCase()),
  );

  const tags = (plan.inputs.tags ?? '').split(/[\s,[\]"']+/).filter((t) => t !== '');
  const projectId = plan.inputs['project-id'] ?? '';
  const deploymentId = plan.inputs['deployment-id'] ?? '';
  const teamId = plan.inputs['team-id'] || DEMO_DEPLOYMENT.teamId;
  const rollout = io.rollout ?? { pendingMs: 1000, provisioningMs: 2000, startingMs: 2000 };
  const emulator = await startEmulator({
    plan: rollout,
    // Only the update's rollout ends otherwise: a revert's runs, so revert-on-failure can be seen.
    plans: options.ending === 'running' ? [] : [{ ...rollout, ending: options.ending }],
    staleReadMs: 500,
    // "preview": the tag mode: preview gives its previews (created once in Northflank, README says).
    existingTags: ['llm', 'production', 'staging', 'gpu', 'preview', ...tags],
    deleteMs: io.deleteMs ?? 2000,
    deployments: [
      projectId !== '' && deploymentId !== '' ? { teamId, projectId, id: deploymentId } : {},
    ],
  });
  const servedId = deploymentId !== '' && projectId !== '' ? deploymentId : DEMO_DEPLOYMENT.id;
  const apiKey = plan.inputs['smoke-api-key'];
  const model = await startModelServer({
    model: () => emulator.deployment(servedId).configuration.name ?? '',
    latency: () => latencyOf(emulator.deployment(servedId).configuration),
    // A preview beside production, at /deployments/<id>: each served at its own configuration's speed.
    deployments: (id) => {
      const found = emulator.all().find((d) => d.id === id && d.deleted !== true);
      return found
        ? { model: found.configuration.name ?? '', latency: latencyOf(found.configuration) }
        : undefined;
    },
    // The key the step gives (a placeholder for a secret) is the one the model server wants.
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
  });
  const { inputs, changes } = pointAtEmulator(plan, {
    apiUrl: emulator.url,
    modelUrl: model.url,
    previewUrl: `${model.url}/deployments/${previewId(servedId, PULL_REQUEST)}`,
  });
  const isPullRequest = PULL_REQUEST_EVENTS.includes(plan.event);
  const previewMode = (inputs.mode ?? '').trim() === 'preview';
  // One try run starts with no preview: a close has one to delete only after an open made it.
  const createFirst = isPullRequest && previewMode && plan.type === 'closed';

  print(`Workflow ${options.file}`);
  print(
    `Job ${plan.job}, ${plan.step} (uses: ${plan.uses}), event ${plan.event} (from ${plan.eventFrom}; --event to change)${plan.type === undefined ? '' : `, type ${plan.type} (from ${plan.typeFrom}; --type to change)`}`,
  );
  for (const warning of plan.warnings) print(`Warning: ${warning}`);
  if (Object.keys(plan.matrix).length > 0) {
    print(
      `Matrix: ${Object.entries(plan.matrix)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (--matrix to change)`,
    );
  }
  print(`Workspace (GITHUB_WORKSPACE, where spec-file is read): ${workspace}`);
  for (const name of unexpected) {
    print(
      `Warning: Unexpected input '${name}': action.yml declares no such input (the runner warns, and passes it on; the action fails the step on it).`,
    );
  }
  print(
    `Emulator ${emulator.url} holds ${projectId || '?'}/${deploymentId || '?'}${plan.inputs['team-id'] ? ` (team ${teamId})` : ''}; model server ${model.url}; GitHub stand-in ${github.url}`,
  );
  print('\nwith: (as evaluated; action.yml gives the rest its default)');
  print(indent(stringify(plan.inputs, { lineWidth: 0 }).trimEnd()));
  for (const note of plan.notes) print(`  # ${note}`);
  if (changes.length > 0) {
    print('Changed to run locally:');
    for (const change of changes) print(`  ${change}`);
  }

  const scratch = mkdtempSync(path.join(tmpdir(), 'nf-try-'));
  const env: Record<string, string> = {
    GITHUB_EVENT_NAME: plan.event,
    GITHUB_REPOSITORY: repository,
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_RUN_ID: '1',
    GITHUB_JOB: plan.job,
    GITHUB_TOKEN,
  };
  const relative = path.relative(workspace, options.file).split(path.sep).join('/');
  if (!relative.startsWith('..')) {
    env.GITHUB_WORKFLOW_REF = `${repository}/${relative}@refs/heads/main`;
  }
  const eventOf = (type: string | undefined): Record<string, string> => {
    if (!isPullRequest) return env;
    const eventFile = path.join(scratch, `event-${type ?? 'none'}.json`);
    const repo = { full_name: repository };
    const pullRequest = { number: PULL_REQUEST, head: { sha, repo }, base: { repo } };
    writeFileSync(eventFile, JSON.stringify({ action: type, pull_request: pullRequest }));
    return { ...env, GITHUB_EVENT_PATH: eventFile };
  };
  if (createFirst) {
    print(
      `\n--- the action's log, first as ${plan.event} opened: it creates the preview that closed deletes (a try run starts with none) ---`,
    );
    const opened = await runAction({
      inputs,
      env: eventOf('opened'),
      workspace,
      echo: io.echo,
      undeclaredInputs: true,
    });
    print(
      `\n--- opened: exit code ${String(opened.code)}, outcome ${opened.outputs.outcome ?? '?'}, preview ${opened.outputs['preview-id'] || '(none)'} ${opened.outputs['preview-outcome'] ?? ''} ---`,
    );
  }
  if (isPullRequest && plan.type === 'closed') pullRequests[PULL_REQUEST] = 'closed';
  print(`\n--- the action's log${createFirst ? `, then as ${plan.event} closed` : ''} ---`);
  const run = await runAction({
    inputs,
    env: eventOf(plan.type),
    workspace,
    echo: io.echo,
    undeclaredInputs: true,
  });
  await model.close();
  await emulator.close();
  await github.close();

  if (isPullRequest || github.comments.length > 0) {
    print('\n--- pull request comment (on the GitHub stand-in, pull request #1) ---');
    print(
      github.comments.length === 0 ? '(none)' : github.comments.map((c) => c.body).join('\n---\n'),
    );
  }
  if (github.deployments.length > 0) {
    print('\n--- GitHub deployment ---');
    for (const d of github.deployments) {
      print(
        `environment ${String(d.request.environment)}: ${d.statuses.map((s) => String(s.state)).join(' -> ')}`,
      );
    }
  }
  print('\n--- job summary (Markdown) ---');
  print(run.summary.trimEnd() || '(empty)');
  print(`\n--- exit code ${String(run.code)}; outputs ---`);
  for (const [name, value] of Object.entries(run.outputs)) {
    print(`${name} = ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`);
  }
  const posts = emulator.requests.filter((r) => r.method === 'POST').length;
  print(
    `\nThe emulator received ${count(emulator.requests.length, 'request')} (${count(posts, 'update')}); the model server ${count(model.requests.length, 'request')}.`,
  );
  return {
    code: run.code ?? 1,
    outputs: run.outputs,
    summary: run.summary,
    comments: github.comments.map((c) => c.body),
    deployments: github.deployments.map((d) => d.statuses.map((st) => String(st.state))),
    updates: posts,
    held: emulator
      .all()
      .filter((d) => d.deleted !== true && d.deletedAtMs === undefined)
      .map((d) => d.id),
  };
}

/** `1 update`, `2 updates`. */
export function count(n: number, noun: string): string {
  return `${String(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

const isMain =
  process.argv[1] !== undefined && import.meta.filename === path.resolve(process.argv[1]);
if (isMain) {
  const print = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };
  try {
    const options = parseTryOptions(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
    if (options.help) print(USAGE);
    else process.exitCode = (await runTry(options, { print, echo: process.stdout })).code;
  } catch (error) {
    if (error instanceof TryUsageError || error instanceof TryError)
      fail(`${error.message}\n\n${error instanceof TryUsageError ? USAGE : ''}`.trimEnd(), 2);
    throw error;
  }
}
