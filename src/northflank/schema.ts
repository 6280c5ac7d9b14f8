import * as z from 'zod/mini';
import { once } from '../lazy-schema.js';

// The rules below are Northflank's own (../shared/api): checking them here means a typo in a
// workflow fails in a second with the rule named, instead of after a round trip to the API.
const NAME_PATTERN = /^[a-zA-Z0-9]+((-|\s)[a-zA-Z0-9]+)*$/;
const TAG_PATTERN = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const PORT_NAME_PATTERN = /^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$/;

export const PROTOCOLS = ['HTTP', 'HTTP/2', 'TCP', 'UDP'] as const;

const positiveInt = () => z.number().check(z.int(), z.gte(1));

/**
 * A string whose length is counted as Northflank counts it, in UTF-16 code units (an emoji is
 * two), rather than in code points as zod's own min/max do.
 */
function lengthBetween(min: number, max: number, ...more: z.core.$ZodCheck<string>[]) {
  const unit = (n: number): string => `${n} character${n === 1 ? '' : 's'}`;
  return z.string().check(
    z.refine((s) => s.length >= min, `must be at least ${unit(min)}`),
    z.refine((s) => s.length <= max, {
      error: `must be at most ${unit(max)} (counted in UTF-16 units, as Northflank does: an emoji counts as 2)`,
      abort: true,
    }),
    ...more,
  );
}

/** `name` of an update. */
export const nameSchema = once(() =>
  lengthBetween(
    3,
    100,
    z.regex(NAME_PATTERN, {
      error: `must be letters and digits in words joined by single hyphens or spaces (pattern ${NAME_PATTERN.source})`,
    }),
  ),
);

/** `description` of an update. */
export const descriptionSchema = once(() => lengthBetween(0, 1024));

/** One of the `tags` of an update. */
export const tagSchema = once(() =>
  lengthBetween(
    3,
    100,
    z.regex(TAG_PATTERN, {
      error: `must be letters and digits joined by single hyphens (pattern ${TAG_PATTERN.source})`,
    }),
  ),
);

/** One of the `ports` of an update. */
export const portSchema = once(() =>
  z.strictObject({
    name: lengthBetween(
      1,
      8,
      z.regex(PORT_NAME_PATTERN, {
        error: `must start with a letter, then letters, digits and single hyphens (pattern ${PORT_NAME_PATTERN.source})`,
      }),
    ),
    internalPort: z.number().check(z.int(), z.gte(1), z.lte(65535)),
    protocol: z.enum(PROTOCOLS),
    public: z.optional(z.boolean()),
    domains: z.optional(z.array(z.string().check(z.minLength(1)))),
    disableNfDomain: z.optional(z.boolean()),
  }),
);

const gpuSchema = () =>
  z.strictObject({
    enabled: z.optional(z.boolean()),
    configuration: z.optional(
      z.strictObject({
        gpuType: z.optional(z.string().check(z.minLength(1))),
        gpuCount: z.optional(positiveInt()),
        timesliced: z.optional(z.boolean()),
      }),
    ),
  });

const storageSchema = () =>
  z.strictObject({
    accessMode: z.optional(z.literal('ReadWriteMany')),
    storageClass: z.optional(z.string().check(z.minLength(1))),
    storageSize: z.optional(positiveInt()),
    shmSize: z.optional(z.nullable(z.number().check(z.gte(0)))),
  });

const workerConfigSchema = () =>
  z.strictObject({
    replicas: z.optional(z.number().check(z.int(), z.gte(0))),
    parallelismConfig: z.optional(
      z.strictObject({
        tensorParallelism: z.optional(positiveInt()),
        pipelineParallelism: z.optional(positiveInt()),
        expertParallelism: z.optional(positiveInt()),
      }),
    ),
    sequenceLengthConfig: z.optional(
      z.strictObject({
        maxModelLength: z.optional(
          z.union([positiveInt(), z.literal('auto')], {
            error: 'must be a whole number of tokens of at least 1, or "auto"',
          }),
        ),
        maxInputLength: z.optional(positiveInt()),
        maxOutputLength: z.optional(positiveInt()),
      }),
    ),
    batchingConfig: z.optional(
      z.strictObject({
        maxNumSeqs: z.optional(positiveInt()),
        maxNumBatchedTokens: z.optional(positiveInt()),
      }),
    ),
    enableChunkedPrefill: z.optional(z.boolean()),
    enablePrefixCaching: z.optional(z.boolean()),
    enforceEager: z.optional(z.boolean()),
    enableAsyncScheduling: z.optional(z.boolean()),
    // vLLM takes a fraction of GPU memory in (0, 1].
    gpuMemoryUtilization: z.optional(z.number().check(z.gt(0), z.lte(1))),
    trustRemoteCode: z.optional(z.boolean()),
    dataType: z.optional(z.enum(['auto', 'float16', 'bfloat16'])),
    kvCacheDataType: z.optional(z.enum(['fp8', 'fp8_e5m2', 'fp8_e4m3'])),
    quantization: z.optional(z.enum(['fp8', 'awq', 'gptq', 'int4'])),
  });

/** `spec.configuration` of an update. */
export const modelConfigurationSchema = once(() =>
  z.strictObject({
    name: z.optional(z.string().check(z.minLength(1))),
    engine: z.optional(z.literal('vllm')),
    revision: z.optional(z.string().check(z.minLength(1))),
    nodeConfiguration: z.optional(
      z.strictObject({ gpu: z.optional(gpuSchema()), storage: z.optional(storageSchema()) }),
    ),
    architecture: z.optional(
      z.strictObject({
        type: z.optional(z.literal('aggregated')),
        workerConfig: z.optional(workerConfigSchema()),
      }),
    ),
  }),
);

/**
 * The `spec` of an update. `type: custom` is accepted and dropped so that a spec copied from a
 * GET response can be used as it is; the update endpoint does not take it.
 */
export const specSchema = once(() =>
  z.pipe(
    z.strictObject({
      type: z.optional(z.literal('custom')),
      configuration: z.optional(modelConfigurationSchema()),
    }),
    z.transform(({ type: _type, ...rest }) => rest),
  ),
);

/** The body of `POST .../llm-model-deployments/{id}`: every field optional. */
export const updateBodySchema = once(() =>
  z.strictObject({
    name: z.optional(nameSchema()),
    description: z.optional(descriptionSchema()),
    tags: z.optional(z.array(tagSchema())),
    ports: z.optional(z.array(portSchema())),
    spec: z.optional(specSchema()),
  }),
);
export type UpdateBody = z.infer<ReturnType<typeof updateBodySchema>>;
export type Port = z.infer<ReturnType<typeof portSchema>>;

export const DEPLOYMENT_STATUSES = [
  'pending',
  'provisioning',
  'starting',
  'crashed',
  'paused',
  'running',
  'deleting',
] as const;
export type KnownStatus = (typeof DEPLOYMENT_STATUSES)[number];

/**
 * An optional field of a response: `null` counts as absent, since APIs send either for "none"
 * and a null where nothing is read must not fail a deploy whose update was accepted.
 */
function absent<T extends z.ZodMiniType>(schema: T): z.core.$ZodPreprocess<z.ZodMiniOptional<T>> {
  // zod/mini has no `preprocess`; this pipe is what `zod`'s builds, typed as `zod` types it (the
  // field may be missing from the input, as the optional inner schema says).
  return z.pipe(
    z.transform<unknown, unknown>((value) => (value === null ? undefined : value)),
    z.optional(schema),
  ) as unknown as z.core.$ZodPreprocess<z.ZodMiniOptional<T>>;
}

const deploymentPortSchema = () =>
  z.looseObject({
    id: absent(z.string()),
    name: z.string(),
    internalPort: z.number(),
    protocol: z.string(),
    public: absent(z.boolean()),
    dns: absent(z.string()),
    disableNfDomain: absent(z.boolean()),
  });

/**
 * `data` of `GET .../llm-model-deployments/{id}`. Loose on purpose: only what the action reads is
 * required, unknown fields are kept (they go into the `deployment` output), and `status` is any
 * string because a status added by Northflank later must not crash a running deploy.
 */
export const deploymentSchema = once(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    name: z.string(),
    status: z.string().check(z.minLength(1)),
    description: absent(z.string()),
    tags: absent(z.array(z.string())),
    projectId: absent(z.string()),
    // Only the model's name is read (the smoke test looks for it); the rest is kept as it comes.
    spec: absent(
      z.looseObject({ configuration: absent(z.looseObject({ name: absent(z.string()) })) }),
    ),
    dns: absent(z.looseObject({ base: z.string(), zone: absent(z.string()) })),
    ports: absent(z.array(deploymentPortSchema())),
    deploymentConfiguration: absent(
      z.looseObject({ id: z.string(), createdAt: absent(z.string()) }),
    ),
    createdAt: absent(z.string()),
    updatedAt: absent(z.string()),
  }),
);
export type Deployment = z.infer<ReturnType<typeof deploymentSchema>>;

/** The body of `GET .../llm-model-deployments/{id}`. */
export const getDeploymentResponseSchema = once(() => z.looseObject({ data: deploymentSchema() }));

/** Northflank's error body: `{"error": {"status", "message", "id", "details"}}`. */
export const apiErrorBodySchema = once(() =>
  z.looseObject({
    error: z.looseObject({
      status: z.optional(z.unknown()),
      message: z.optional(z.unknown()),
      id: z.optional(z.unknown()),
      details: z.optional(z.unknown()),
    }),
  }),
);
export type ApiErrorBody = z.infer<ReturnType<typeof apiErrorBodySchema>>;
