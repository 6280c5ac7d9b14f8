/** Telling whether the running job has a job-level environment, from the checked-out workflow. */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import {
  bothEnvironmentsWarning,
  findJobEnvironment,
  jobEnvironmentIn,
  workflowFilePath,
} from '../../src/runner/job-environment.js';

const parseYaml = (text: string): Promise<unknown> => Promise.resolve(parse(text));
const read = (file: string): string => readFileSync(file, 'utf8');

function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'job-env-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const WORKFLOW = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment:
      name: production
      url: \${{ steps.deploy.outputs.url }}
    steps: [{ run: 'true' }]
  short:
    environment: staging
    steps: [{ run: 'true' }]
  plain:
    steps: [{ run: 'true' }]
  called:
    uses: ./.github/workflows/reusable.yml
`;

describe('the workflow file of a run', () => {
  it('comes from GITHUB_WORKFLOW_REF, inside this repository only', () => {
    expect(
      workflowFilePath('acme/models/.github/workflows/deploy.yml@refs/heads/main', 'acme/models'),
    ).toBe('.github/workflows/deploy.yml');
    expect(
      workflowFilePath('other/repo/.github/workflows/deploy.yml@v1', 'acme/models'),
    ).toBeUndefined();
    expect(workflowFilePath('acme/models/../../etc/passwd@x', 'acme/models')).toBeUndefined();
  });
});

describe('the job-level environment', () => {
  const workflow = parse(WORKFLOW) as unknown;

  it.each([
    ['deploy', { known: true, name: 'production' }],
    ['short', { known: true, name: 'staging' }],
    ['plain', { known: true, name: undefined }],
    ['called', { known: false, reason: 'job "called" calls a reusable workflow' }],
    ['missing', { known: false, reason: 'the workflow has no job "missing"' }],
  ])('of job %s', (job, expected) => {
    expect(jobEnvironmentIn(workflow, job)).toEqual(expected);
  });

  it('is read from the checked-out workflow file', async () => {
    const workspace = workspaceWith({ '.github/workflows/deploy.yml': WORKFLOW });
    const env = {
      GITHUB_WORKFLOW_REF: 'acme/models/.github/workflows/deploy.yml@refs/heads/main',
      GITHUB_REPOSITORY: 'acme/models',
      GITHUB_JOB: 'deploy',
      GITHUB_WORKSPACE: workspace,
    };
    expect(await findJobEnvironment(env, read, parseYaml)).toEqual({
      known: true,
      name: 'production',
    });
    expect(await findJobEnvironment({ ...env, GITHUB_JOB: 'plain' }, read, parseYaml)).toEqual({
      known: true,
      name: undefined,
    });
  });

  it('says why it cannot tell', async () => {
    const env = {
      GITHUB_WORKFLOW_REF: 'acme/models/.github/workflows/deploy.yml@refs/heads/main',
      GITHUB_REPOSITORY: 'acme/models',
      GITHUB_JOB: 'deploy',
      GITHUB_WORKSPACE: workspaceWith({}),
    };
    expect(await findJobEnvironment(env, read, parseYaml)).toEqual({
      known: false,
      reason: '.github/workflows/deploy.yml is not in the workspace (no checkout?)',
    });
    expect(await findJobEnvironment({}, read, parseYaml)).toMatchObject({ known: false });
    const broken = workspaceWith({ '.github/workflows/deploy.yml': 'jobs: [' });
    expect(
      await findJobEnvironment({ ...env, GITHUB_WORKSPACE: broken }, read, parseYaml),
    ).toMatchObject({ known: false, reason: expect.stringMatching(/could not be parsed/) });
  });

  it('warns only when both are set', () => {
    expect(
      bothEnvironmentsWarning({ known: true, name: 'production' }, 'production', 'deploy'),
    ).toMatch(
      /job "deploy" has a job-level environment \("production"\) and the action's environment input is set too/,
    );
    expect(
      bothEnvironmentsWarning({ known: true, name: undefined }, 'production', 'deploy'),
    ).toBeUndefined();
    expect(
      bothEnvironmentsWarning({ known: false, reason: 'x' }, 'production', 'deploy'),
    ).toBeUndefined();
  });
});
