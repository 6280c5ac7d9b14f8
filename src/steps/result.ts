import type { FieldChange } from '../rollout/plan.js';
import type { WaitResult } from '../rollout/outcome.js';

/** How a step ended: the wait's result, with what later steps add. */
export type StepResult = WaitResult & {
  title?: string;
  models?: string[];
  reply?: string;
  notReverted?: FieldChange[];
  /**
   * The rollout runs; the step failed for the action's own reason (the benchmark ran out of
   * `timeout`), so there is nothing to revert.
   */
  rolloutRuns?: boolean;
};
