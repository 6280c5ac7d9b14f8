/**
 * What a plan will do, in one sentence: the one verdict that the dry run's log, the job summary
 * and the pull request comment all show. Pure. It is read from the plan's body (what will be
 * sent), not only from its changes: since GET never shows a port's `domains`, given ports are
 * sent even when every value GET shows is in place, and `force` sends fields that change nothing.
 */
import { FIELD_ORDER, type UpdateField } from './compare.js';
import { ROLLOUT_FIELDS, type UpdatePlan } from './plan.js';

/**
 * - `rollout`: spec or ports values change, so a new configuration rolls out.
 * - `restart`: nothing that rolls out changes, but `force` re-sends spec or ports: a restart.
 * - `metadata`: only name, description or tags change. Whether Northflank rolls out for that is
 *   not documented: a rollout that follows is followed.
 * - `resend`: no value GET shows changes, yet fields are sent (ports that give domains, or
 *   anything with force); as for `metadata`, a rollout that follows is followed.
 * - `nothing`: nothing is sent.
 */
export type PlanVerdictKind = 'rollout' | 'restart' | 'metadata' | 'resend' | 'nothing';

/** What a plan will do, and the fields behind it. */
export interface PlanVerdict {
  kind: PlanVerdictKind;
  /** The top-level fields whose values change, in FIELD_ORDER. */
  changing: UpdateField[];
  /** Fields sent although what GET shows of them is in place because GET cannot show it all. */
  unreadable: UpdateField[];
  /** Fields sent although in place because `force` is true. */
  forced: UpdateField[];
}

/** The verdict of a plan, from what it sends and what it changes. */
export function planVerdict(
  plan: Pick<UpdatePlan, 'body' | 'changes' | 'unreadable' | 'startsRollout'>,
): PlanVerdict {
  const changingSet = new Set(plan.changes.map((c) => c.path.split('.')[0]));
  const sent = FIELD_ORDER.filter((field) => plan.body[field] !== undefined);
  const changing = FIELD_ORDER.filter((field) => changingSet.has(field));
  const unreadable = sent.filter((f) => !changingSet.has(f) && plan.unreadable.includes(f));
  const forced = sent.filter((f) => !changingSet.has(f) && !plan.unreadable.includes(f));
  const kind: PlanVerdictKind =
    sent.length === 0
      ? 'nothing'
      : changing.some((f) => ROLLOUT_FIELDS.has(f))
        ? 'rollout'
        : plan.startsRollout
          ? 'restart'
          : changing.length > 0
            ? 'metadata'
            : 'resend';
  return { kind, changing, unreadable, forced };
}

const ICON: Record<PlanVerdictKind, string> = {
  rollout: '🚀',
  restart: '🔁',
  metadata: '🏷️',
  resend: '📨',
  nothing: '✅',
};

const list = (fields: readonly string[]): string =>
  fields.length <= 1
    ? (fields[0] ?? '')
    : `${fields.slice(0, -1).join(', ')} and ${fields[fields.length - 1] ?? ''}`;

/** What follows an update whose rollout Northflank does not document. */
const FOLLOWED = 'a rollout, if Northflank starts one for it, is followed';

/**
 * The verdict as the rest of a sentence whose subject is the plan's update ("Merging …",
 * "The update …"), with no final full stop.
 */
export function verdictPredicate(verdict: PlanVerdict): string {
  const { kind, unreadable, forced } = verdict;
  const resent: string[] = [];
  if (unreadable.length > 0) {
    resent.push(
      `sends ${list(unreadable)} again: they give domains, which a GET never reports, so whether those change is unknown`,
    );
  }
  if (forced.length > 0 && kind !== 'restart') {
    resent.push(`sends ${list(forced)} again as given (force is true)`);
  }
  const also = resent.length > 0 ? `; it also ${resent.join(', and ')}` : '';
  switch (kind) {
    case 'rollout':
      return `rolls out a new configuration${also}`;
    case 'restart':
      return `restarts the deployment: force is true, so it sends ${list(forced)} again with the values already in place, which starts a new rollout${verdict.changing.length > 0 ? `; it also changes ${list(verdict.changing)}` : ''}${also}`;
    case 'metadata':
      return `only updates name, description or tags${also}; ${FOLLOWED}`;
    case 'resend':
      return `changes nothing that a GET shows, but ${resent.join(', and ')}; ${FOLLOWED}`;
    case 'nothing':
      return 'changes nothing: the deployment already matches';
  }
}

/** The verdict as one line: an icon, `subject`, the predicate and a full stop. */
export function verdictLine(verdict: PlanVerdict, subject: string): string {
  return `${ICON[verdict.kind]} ${subject} ${verdictPredicate(verdict)}.`;
}
