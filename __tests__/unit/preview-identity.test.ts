/** What makes a deployment a preview this repository may delete, and the sweep's verdicts. */
import { describe, expect, it } from '@jest/globals';
import {
  claimPreview,
  gpuHours,
  gpuUse,
  limitBreach,
  parseMarker,
  previewDescription,
  previewId,
  sweepDecision,
} from '../../src/rollout/preview-identity.js';
import { deploymentIdFromName } from '../../src/northflank/preview-api.js';

const REPO = { owner: 'acme', repo: 'models' };
const EXPIRES = Date.UTC(2026, 11, 4, 12);
const marker = { of: 'llama-chat', repository: 'acme/models', pullRequest: 7, expiresMs: EXPIRES };
const preview = {
  id: 'llama-chat-pr-7',
  name: 'llama-chat-pr-7',
  tags: ['preview'],
  description: previewDescription(marker),
  status: 'running',
};

describe('a preview of this repository', () => {
  it('names itself <deployment>-pr-<n>, with the id Northflank derives from the name', () => {
    expect(previewId('llama-chat', 7)).toBe('llama-chat-pr-7');
    expect(deploymentIdFromName('Llama Chat')).toBe('llama-chat');
  });

  it('carries a marker line that reads back, within 1024 characters', () => {
    expect(parseMarker(preview.description)).toEqual(marker);
    expect(preview.description.length).toBeLessThanOrEqual(1024);
  });

  it('is ours only with the tag, the marker of this repository and the preview name', () => {
    expect(claimPreview(preview, REPO, 'preview')).toEqual({ ours: true, marker });
    expect(claimPreview({ ...preview, tags: ['llm'] }, REPO, 'preview')).toMatchObject({
      ours: false,
    });
    expect(
      claimPreview({ ...preview, description: 'made by hand' }, REPO, 'preview'),
    ).toMatchObject({
      ours: false,
      reason: 'its description has no preview marker',
    });
    expect(
      claimPreview(
        { ...preview, description: previewDescription({ ...marker, repository: 'other/repo' }) },
        REPO,
        'preview',
      ),
    ).toMatchObject({
      ours: false,
      reason: expect.stringContaining('another repository') as unknown,
    });
    expect(claimPreview({ ...preview, id: 'prod', name: 'prod' }, REPO, 'preview')).toMatchObject({
      ours: false,
    });
    // Production itself, even tagged: no marker.
    expect(
      claimPreview({ id: 'llama-chat', name: 'llama chat', tags: ['preview'] }, REPO, 'preview')
        .ours,
    ).toBe(false);
  });
});

describe('the sweep verdict', () => {
  const claim = claimPreview(preview, REPO, 'preview');
  it('deletes expired ones and those whose pull request is closed; keeps open and unknown', () => {
    expect(sweepDecision(preview, claim, 'open', EXPIRES + 1).action).toBe('delete');
    expect(sweepDecision(preview, claim, 'closed', EXPIRES - 1).action).toBe('delete');
    expect(sweepDecision(preview, claim, 'open', EXPIRES - 1).action).toBe('keep');
    expect(sweepDecision(preview, claim, { unknown: 'HTTP 403' }, EXPIRES - 1)).toMatchObject({
      action: 'keep',
      reason: expect.stringContaining('HTTP 403') as unknown,
    });
    const notOurs = claimPreview({ ...preview, tags: [] }, REPO, 'preview');
    expect(sweepDecision(preview, notOurs, 'closed', EXPIRES + 1).action).toBe('ignore');
  });
});

describe('the cost guards', () => {
  const l4 = {
    nodeConfiguration: {
      gpu: { enabled: true, configuration: { gpuType: 'nvidia-l4', gpuCount: 2 } },
    },
  };
  it('reads the GPU type and count, and refuses what the limits forbid, naming the input', () => {
    expect(gpuUse(l4)).toEqual({ type: 'nvidia-l4', count: 2 });
    expect(gpuUse({ nodeConfiguration: { gpu: { enabled: false } } })).toEqual({
      type: undefined,
      count: 0,
    });
    expect(
      limitBreach(gpuUse(l4), { gpuTypes: ['nvidia-t4'], maxGpus: undefined }, 'It'),
    ).toContain('preview-gpu-types');
    expect(limitBreach(gpuUse(l4), { gpuTypes: undefined, maxGpus: 1 }, 'It')).toContain(
      'preview-max-gpus',
    );
    expect(limitBreach(gpuUse(l4), { gpuTypes: ['nvidia-l4'], maxGpus: 2 }, 'It')).toBeUndefined();
  });

  it('counts GPU-hours from createdAt when the GPU type is known', () => {
    const created = new Date(EXPIRES - 3 * 3_600_000).toISOString();
    expect(gpuHours(gpuUse(l4), created, EXPIRES)).toBeCloseTo(6);
    expect(gpuHours({ type: undefined, count: 1 }, created, EXPIRES)).toBeUndefined();
  });
});
