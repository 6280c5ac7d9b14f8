/** The run's event as the runner describes it: pull request, head commit, fork, run link. */
import { describe, expect, it } from '@jest/globals';
import { readGitHubRun } from '../../src/runner/event.js';
import { skippedMessage } from '../../src/report/fork-notice.js';

const ENV = {
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_EVENT_PATH: '/runner/event.json',
  GITHUB_REPOSITORY: 'acme/models',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_API_URL: 'https://api.github.com/',
  GITHUB_RUN_ID: '77',
};

function payload(pr: Record<string, unknown>): () => string {
  return () => JSON.stringify({ action: 'synchronize', pull_request: pr });
}

const HEAD = 'c0ffee1234567890c0ffee1234567890c0ffee12';

describe('readGitHubRun', () => {
  it('reads a pull request from this repository', () => {
    const run = readGitHubRun(
      ENV,
      payload({
        number: 12,
        head: { sha: HEAD, repo: { full_name: 'acme/models' } },
        base: { repo: { full_name: 'acme/models' } },
      }),
    );
    expect(run).toEqual({
      eventName: 'pull_request',
      isPullRequestEvent: true,
      pullRequest: { number: 12, headSha: HEAD, fromFork: false, action: 'synchronize' },
      problem: undefined,
      repository: { owner: 'acme', repo: 'models' },
      apiUrl: 'https://api.github.com',
      runUrl: 'https://github.com/acme/models/actions/runs/77',
    });
  });

  it('tells a fork, a deleted fork, and pull_request_target', () => {
    const fork = readGitHubRun(
      { ...ENV, GITHUB_EVENT_NAME: 'pull_request_target' },
      payload({
        number: 3,
        head: { sha: HEAD, repo: { full_name: 'mallory/models' } },
        base: { repo: { full_name: 'acme/models' } },
      }),
    );
    expect(fork.isPullRequestEvent).toBe(true);
    expect(fork.pullRequest?.fromFork).toBe(true);
    const deleted = readGitHubRun(
      ENV,
      payload({ number: 3, head: { sha: HEAD, repo: null }, base: { repo: { full_name: 'a/b' } } }),
    );
    expect(deleted.pullRequest?.fromFork).toBe(true);
  });

  it('names what is missing on a pull request event without a usable payload', () => {
    expect(readGitHubRun({ ...ENV, GITHUB_EVENT_PATH: '' }).problem).toBe(
      'GITHUB_EVENT_PATH is not set',
    );
    expect(
      readGitHubRun(ENV, () => {
        throw new Error('ENOENT: no such file');
      }).problem,
    ).toMatch(/event file could not be read \(ENOENT/);
    expect(readGitHubRun(ENV, () => '{"ref": "main"}').problem).toBe(
      'the event payload names no pull request',
    );
  });

  it('reads no payload on other events', () => {
    const push = readGitHubRun({ ...ENV, GITHUB_EVENT_NAME: 'push' }, () => {
      throw new Error('must not be read');
    });
    expect(push).toMatchObject({
      eventName: 'push',
      isPullRequestEvent: false,
      problem: undefined,
    });
  });

  it('drops a head SHA that is not hex, and links a re-run attempt', () => {
    const run = readGitHubRun(
      { ...ENV, GITHUB_RUN_ATTEMPT: '2' },
      payload({ number: 1, head: { sha: '](javascript:x)' } }),
    );
    expect(run.pullRequest?.headSha).toBeUndefined();
    expect(run.runUrl).toBe('https://github.com/acme/models/actions/runs/77/attempts/2');
  });

  it('defaults the API outside GitHub, and ignores a URL that is not http(s)', () => {
    expect(readGitHubRun({}).apiUrl).toBe('https://api.github.com');
    expect(readGitHubRun({ GITHUB_API_URL: 'file:///etc' }).apiUrl).toBe('https://api.github.com');
    expect(readGitHubRun({ GITHUB_API_URL: 'https://ghe.example/api/v3' }).apiUrl).toBe(
      'https://ghe.example/api/v3',
    );
  });
});

describe('skippedMessage', () => {
  const pr = (fromFork: boolean) => ({ number: 7, headSha: undefined, fromFork });
  it('says why there is no token and how to plan a fork, and what to check when it is no fork', () => {
    const fork = skippedMessage({ eventName: 'pull_request', pullRequest: pr(true) });
    expect(fork).toContain('GitHub gives no secrets to workflows run for pull requests from forks');
    expect(fork).toContain('workflow_run');
    expect(fork).toContain('Pull request #7 comes from a fork, so this is expected.');
    const own = skippedMessage({ eventName: 'pull_request_target', pullRequest: pr(false) });
    expect(own).toContain('on this pull_request_target event');
    expect(own).toContain("A pull_request_target workflow gets this repository's secrets");
    expect(own).toContain('this pull_request_target workflow uploads the spec');
    expect(own).not.toMatch(/pull_request workflow|comes from a fork/);
    const forkTarget = skippedMessage({ eventName: 'pull_request_target', pullRequest: pr(true) });
    expect(forkTarget).not.toContain('so this is expected');
    const ownPr = skippedMessage({ eventName: 'pull_request', pullRequest: pr(false) });
    expect(ownPr).toContain('is not from a fork: check that the secret given as api-token exists');
    expect(ownPr).toContain('this pull_request workflow uploads the spec');
  });
});
