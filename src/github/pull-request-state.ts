/** GitHub's answer to "is this pull request still open?", for the sweep. */
import { httpRequest, parseJsonOrUndefined, readPrefix, type Dispatcher } from '../http/request.js';
import { neutralise } from '../log.js';

/** Where to ask, and with what. */
export interface PullRequestStateOptions {
  apiUrl: string;
  token: string;
  owner: string;
  repo: string;
  dispatcher: Dispatcher;
  signal: AbortSignal;
  requestTimeoutMs: number;
}

/** What GitHub said of one pull request: its state, or why it could not be learnt. */
export type PullRequestAnswer = 'open' | 'closed' | { unknown: string };

/**
 * GET /repos/{owner}/{repo}/pulls/{n}: `open` or `closed` (merged counts as closed); anything
 * else is `unknown` with the reason, and the sweep keeps the preview until it expires. A 403 or
 * 404 names the permission the token needs.
 */
export async function pullRequestState(
  o: PullRequestStateOptions,
  pullRequest: number,
): Promise<PullRequestAnswer> {
  const url = new URL(
    `${o.apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(o.owner)}/${encodeURIComponent(o.repo)}/pulls/${pullRequest}`,
  );
  try {
    const response = await httpRequest(o.dispatcher, url, {
      method: 'GET',
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.requestTimeoutMs)]),
      headers: {
        authorization: `Bearer ${o.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'northflank-llm-deploy-action',
      },
    });
    const { text } = await readPrefix(response.body, 1024 * 1024);
    const status = response.statusCode;
    if (status === 403 || status === 404) {
      return {
        unknown: `GitHub answered HTTP ${status} for pull request #${pullRequest}: github-token needs "pull-requests: read" on ${o.owner}/${o.repo} (add "permissions: pull-requests: read" to the job)`,
      };
    }
    if (status === 401) return { unknown: 'GitHub refused github-token (HTTP 401)' };
    if (status < 200 || status >= 300) return { unknown: `GitHub answered HTTP ${status}` };
    const state = (parseJsonOrUndefined(text) as { state?: unknown } | undefined)?.state;
    if (state === 'open' || state === 'closed') return state;
    return { unknown: `GitHub's answer has no state ("${neutralise(String(state), 40)}")` };
  } catch (error) {
    if (o.signal.aborted) throw error;
    return {
      unknown: `GitHub could not be reached (${neutralise(error instanceof Error ? error.message : String(error), 200)})`,
    };
  }
}
