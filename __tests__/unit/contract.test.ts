/**
 * The API contract, checked against the types Northflank publishes in @northflank/js-client.
 * Most of this file is checked by `tsc --noEmit` (part of `npm test`): if the action's body or the
 * emulator's answers drift from Northflank's types, the type check fails.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type {
  CreateLlmmodeldeploymentData,
  GetLlmmodeldeploymentResult,
  ListLlmmodeldeploymentsResult,
  UpdateLlmmodeldeploymentData,
} from '@northflank/js-client';
import type { CreateBody } from '../../src/northflank/preview-api.js';
import type * as z from 'zod/mini';
import { startEmulator, toApi } from '../../emulator/server.js';
import {
  deploymentSchema,
  updateBodySchema,
  type UpdateBody,
} from '../../src/northflank/schema.js';
import { ACTION_VERSION } from '../../src/version.js';

type Extends<A, B> = [A] extends [B] ? true : false;
/** Compiles only when T is `true`. */
type Assert<T extends true> = T;

/** Checked by `tsc --noEmit`: each entry fails to compile when the contract is broken. */
export type ContractChecks = [
  // Every body the action can build is a body Northflank's client accepts...
  Assert<Extends<UpdateBody, UpdateLlmmodeldeploymentData>>,
  // ...and every ports/spec Northflank's client can send, the action's inputs can express.
  Assert<
    Extends<
      NonNullable<UpdateLlmmodeldeploymentData['ports']>,
      NonNullable<z.input<ReturnType<typeof updateBodySchema>>['ports']>
    >
  >,
  Assert<
    Extends<
      NonNullable<NonNullable<UpdateLlmmodeldeploymentData['spec']>['configuration']>,
      NonNullable<
        NonNullable<z.input<ReturnType<typeof updateBodySchema>>['spec']>['configuration']
      >
    >
  >,
  // Every deployment Northflank's client can return, the action's schema accepts.
  Assert<Extends<GetLlmmodeldeploymentResult, z.input<ReturnType<typeof deploymentSchema>>>>,
  // The emulator answers in Northflank's published shape.
  Assert<Extends<ReturnType<typeof toApi>, GetLlmmodeldeploymentResult>>,
  // A preview's create body, but for the spec copied from production's reading (kept as read).
  Assert<Extends<Omit<CreateBody, 'spec'>, Omit<CreateLlmmodeldeploymentData, 'spec'>>>,
  Assert<Extends<CreateBody['spec']['type'], CreateLlmmodeldeploymentData['spec']['type']>>,
  // Every deployment of a listing, the action's schema accepts.
  Assert<
    Extends<
      ListLlmmodeldeploymentsResult['llmModelDeployments'][number],
      z.input<ReturnType<typeof deploymentSchema>>
    >
  >,
];

describe('contract', () => {
  it('the emulator answers with deployments the action parses', async () => {
    const emu = await startEmulator();
    try {
      const res = await fetch(
        `${emu.url}/v1/projects/demo-project/llm-model-deployments/llama-chat`,
        {
          headers: { authorization: `Bearer ${emu.token}` },
        },
      );
      const body = (await res.json()) as { data: unknown };
      const parsed = deploymentSchema().parse(body.data);
      expect(parsed).toMatchObject({
        id: 'llama-chat',
        status: 'running',
        deploymentConfiguration: { id: 'cfg-0001' },
      });
      // Fields the action does not read are kept for the `deployment` output.
      expect(parsed).toHaveProperty('entityType', 'team');
    } finally {
      await emu.close();
    }
  });

  it('the seed example body is valid', () => {
    const example = {
      name: 'deepseek-v3-deployment',
      description: 'A deployment for DeepSeek V3 model',
      spec: {
        configuration: {
          nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } },
        },
      },
    };
    expect(updateBodySchema().parse(example)).toEqual(example);
  });

  it('the User-Agent version is the package version', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    expect(ACTION_VERSION).toBe(pkg.version);
  });
});
