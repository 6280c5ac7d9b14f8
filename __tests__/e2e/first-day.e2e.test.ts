/**
 * Issue 19, black-box: each secret is masked once by the bundle in a fresh process (in-process, an
 * earlier test has loaded the YAML parser already). The rest of what a new user meets runs
 * in-process in first-day.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { DEMO_SPEC_YAML, FIRST_DAY, startTwin } from '../helpers/twins.js';

describe('secrets and outputs', () => {
  it('prints ::add-mask:: once for the token, though a YAML spec-file makes the inputs parse twice', async () => {
    const world = await startTwin(FIRST_DAY, 'bundle');
    const ran = await world.run(
      { 'spec-file': 'spec.yaml', 'smoke-api-key': 'sk-model-key' },
      { files: { 'spec.yaml': DEMO_SPEC_YAML } },
    );
    expect(ran.outputs.outcome).toBe('unchanged');
    const masks = ran.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual([`::add-mask::${world.emu.token}`, '::add-mask::sk-model-key']);
  });
});
