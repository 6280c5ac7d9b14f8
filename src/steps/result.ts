import type { FieldChange } from '../rollout/plan.js';
import type { WaitResult } from '../rollout/outcome.js';

/** How a step ended: the wait's result, with what later steps add. */
export type StepResult = WaitResult & {
  title?: string;
  models?: string[];
  reply?: string;
  notReverted?: FieldChange[];
};
