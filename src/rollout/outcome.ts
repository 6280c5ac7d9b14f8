// How a wait, and each step after it, ends: the outcomes (which of them count as success) and the
// result a step hands on. Types only, so every step and the report can share them.
import type { Deployment } from '../northflank/schema.js';

/** How a step ended; the successes are in SUCCESSFUL_OUTCOMES. */
export type Outcome =
  | 'running'
  | 'updated'
  | 'unchanged'
  | 'no-rollout'
  | 'crashed'
  | 'paused'
  | 'deleting'
  | 'deleted'
  | 'rolled-back'
  | 'superseded'
  | 'timeout'
  | 'cancelled'
  | 'not-waited'
  | 'dry-run'
  | 'skipped'
  | 'smoke-failed'
  | 'reverted'
  | 'revert-failed'
  | 'error';

export const SUCCESSFUL_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
  'not-waited',
  'dry-run',
  'skipped',
]);

/** How a wait (or a step built on it) ended, and the last reading. */
export interface WaitResult {
  outcome: Outcome;
  message: string;
  deployment: Deployment | undefined;
  /** The configuration id of the rollout our update started, when a reading showed it. */
  ours?: string | undefined;
}
