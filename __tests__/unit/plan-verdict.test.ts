/**
 * The plan's verdict, read from what the plan sends as well as what it changes: ports that GET
 * cannot confirm and fields that force sends again are not "nothing".
 */
import { describe, expect, it } from '@jest/globals';
import type { Deployment, UpdateBody } from '../../src/northflank/schema.js';
import { planUpdate } from '../../src/rollout/plan.js';
import { planVerdict, verdictLine, verdictPredicate } from '../../src/rollout/plan-verdict.js';

const CURRENT = {
  id: 'qwen-chat',
  name: 'qwen chat',
  status: 'running',
  description: 'chat',
  spec: { configuration: { name: 'Qwen/Qwen3-8B' } },
  ports: [{ id: 'http', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
} as Deployment;

const PORTS: UpdateBody['ports'] = [
  { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true, domains: ['chat.acme.dev'] },
];
/** Ports as GET shows them, giving no domains: nothing to send. */
const PLAIN_PORTS: UpdateBody['ports'] = [
  { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true },
];
const SAME_SPEC: UpdateBody['spec'] = { configuration: { name: 'Qwen/Qwen3-8B' } };
const NEW_SPEC: UpdateBody['spec'] = { configuration: { name: 'meta-llama/Llama-3.1-8B' } };

const verdict = (given: UpdateBody, force = false) =>
  planVerdict(planUpdate(given, CURRENT, force));

describe('planVerdict', () => {
  it.each<[string, UpdateBody, boolean, string]>([
    ['nothing sent', { spec: SAME_SPEC, description: 'chat' }, false, 'nothing'],
    ['a spec change', { spec: NEW_SPEC }, false, 'rollout'],
    ['a description change', { description: 'new' }, false, 'metadata'],
    ['ports in place that give domains (unreadable)', { ports: PORTS }, false, 'resend'],
    ['ports in place that give no domains', { ports: PLAIN_PORTS }, false, 'nothing'],
    ['ports in place that give no domains, with force', { ports: PLAIN_PORTS }, true, 'restart'],
    ['force with spec in place', { spec: SAME_SPEC }, true, 'restart'],
    ['force with only metadata in place', { name: 'qwen chat' }, true, 'resend'],
    ['force with a new name and spec in place', { name: 'n', spec: SAME_SPEC }, true, 'restart'],
  ])('%s', (_, given, force, kind) => {
    expect(verdict(given, force).kind).toBe(kind);
  });

  it('names the fields sent again and why', () => {
    expect(verdict({ ports: PORTS, description: 'new' })).toEqual({
      kind: 'metadata',
      changing: ['description'],
      unreadable: ['ports'],
      forced: [],
    });
    expect(verdictPredicate(verdict({ ports: PORTS, description: 'new' }))).toBe(
      'only updates name, description or tags; it also sends ports again: they give domains, which a GET never reports, so whether those change is unknown; a rollout, if Northflank starts one for it, is followed',
    );
    expect(verdictPredicate(verdict({ spec: NEW_SPEC, name: 'qwen chat' }, true))).toBe(
      'rolls out a new configuration; it also sends name again as given (force is true)',
    );
    expect(verdictPredicate(verdict({ name: 'n', spec: SAME_SPEC }, true))).toBe(
      'restarts the deployment: force is true, so it sends spec again with the values already in place, which starts a new rollout; it also changes name',
    );
    expect(verdictPredicate(verdict({ name: 'qwen chat', description: 'chat' }, true))).toBe(
      'changes nothing that a GET shows, but sends name and description again as given (force is true); a rollout, if Northflank starts one for it, is followed',
    );
  });

  it('keeps the verdict lines the comment has always shown', () => {
    expect(verdictLine(verdict({ spec: NEW_SPEC }), 'Merging')).toBe(
      '🚀 Merging rolls out a new configuration.',
    );
    expect(verdictLine(verdict({ description: 'new' }), 'Merging')).toBe(
      '🏷️ Merging only updates name, description or tags; a rollout, if Northflank starts one for it, is followed.',
    );
    expect(verdictLine(verdict({ spec: SAME_SPEC }), 'Merging')).toBe(
      '✅ Merging changes nothing: the deployment already matches.',
    );
  });
});
