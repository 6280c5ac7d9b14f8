// How a wait, and each step after it, ends: the outcomes (which of them count as success) and the
// result a step hands on. Types only, so every step and the report can share them.
import type { Deployment } from '../northflank/schema.js';
import type { FieldChange } from './compare.js';

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
  | 'regressed'
  | 'reverted'
  | 'revert-failed'
  | 'error'
  /** Mode preview, on `closed`: the preview is gone (or there was none). */
  | 'preview-deleted'
  /** Mode sweep: the previews it had to delete are gone. */
  | 'swept';

export const SUCCESSFUL_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
  'not-waited',
  'dry-run',
  'skipped',
  'preview-deleted',
  'swept',
]);

/**
 * How a step ended, and the last reading: the one result every step hands on to the next, and
 * the report is made from. The wait sets the first four; later steps add what they learnt.
 */
export interface StepResult {
  outcome: Outcome;
  message: string;
  deployment: Deployment | undefined;
  /** The configuration id of the rollout our update started, when a reading showed it. */
  ours?: string | undefined;
  /** A short title for the failure annotation, where the outcome's own does not say enough. */
  title?: string;
  /** With a smoke test: the models the endpoint listed, and the reply to the prompt. */
  models?: string[];
  reply?: string;
  /** With a revert: spec leaves the failed update added, which a revert cannot remove. */
  notReverted?: FieldChange[];
  /**
   * The rollout runs; the step failed for the action's own reason (the benchmark ran out of
   * `timeout`), so there is nothing to revert.
   */
  rolloutRuns?: boolean;
}
