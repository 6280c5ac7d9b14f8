import { z } from 'zod';

// The rules below are Northflank's own (../shared/api): checking them here means a typo in a
// workflow fails in a second with the rule named, instead of after a round trip to the API.
const NAME_PATTERN = /^[a-zA-Z0-9]+((-|\s)[a-zA-Z0-9]+)*$/;
const TAG_PATTERN = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const PORT_NAME_PATTERN = /^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$/;

export const PROTOCOLS = ['HTTP', 'HTTP/2', 'TCP', 'UDP'] as const;

const positiveInt = z.number().int().min(1);

/**
 * A string whose length is counted as Northflank counts it, in UTF-16 code units (an emoji is
 * two), rather than in code points as zod's own min/max do.
 */
function lengthBetween(min: number, max: number) {
  const unit = (n: number): string => `${n} character${n === 1 ? '' : 's'}`;
  return z
    .string()
    .refine((s) => s.length >= min, `must be at least ${unit(min)}`)
    .refine((s) => s.length <= max, {
      error: `must be at most ${unit(max)} (counted in UTF-16 units, as Northflank does: an emoji counts as 2)`,
      abort: true,
    });
}

export const NameSchema = lengthBetween(3, 100).regex(NAME_PATTERN, {
  error: `must be letters and digits in words joined by single hyphens or spaces (pattern ${NAME_PATTERN.source})`,
});

export const DescriptionSchema = lengthBetween(0, 1024);

export const TagSchema = lengthBetween(3, 100).regex(TAG_PATTERN, {
  error: `must be letters and digits joined by single hyphens (pattern ${TAG_PATTERN.source})`,
});

export const PortSchema = z.strictObject({
  name: lengthBetween(1, 8).regex(PORT_NAME_PATTERN, {
    error: `must start with a letter, then letters, digits and single hyphens (pattern ${PORT_NAME_PATTERN.source})`,
  }),
  internalPort: z.number().int().min(1).max(65535),
  protocol: z.enum(PROTOCOLS),
  public: z.boolean().optional(),
  domains: z.array(z.string().min(1)).optional(),
  disableNfDomain: z.boolean().optional(),
});

const GpuSchema = z.strictObject({
  enabled: z.boolean().optional(),
  configuration: z
    .strictObject({
      gpuType: z.string().min(1).optional(),
      gpuCount: positiveInt.optional(),
      timesliced: z.boolean().optional(),
    })
    .optional(),
});

const StorageSchema = z.strictObject({
  accessMode: z.literal('ReadWriteMany').optional(),
  storageClass: z.string().min(1).optional(),
  storageSize: positiveInt.optional(),
  shmSize: z.number().min(0).nullable().optional(),
});

const WorkerConfigSchema = z.strictObject({
  replicas: z.number().int().min(0).optional(),
  parallelismConfig: z
    .strictObject({
      tensorParallelism: positiveInt.optional(),
      pipelineParallelism: positiveInt.optional(),
      expertParallelism: positiveInt.optional(),
    })
    .optional(),
  sequenceLengthConfig: z
    .strictObject({
      maxModelLength: z
        .union([positiveInt, z.literal('auto')], {
          error: 'must be a whole number of tokens of at least 1, or "auto"',
        })
        .optional(),
      maxInputLength: positiveInt.optional(),
      maxOutputLength: positiveInt.optional(),
    })
    .optional(),
  batchingConfig: z
    .strictObject({
      maxNumSeqs: positiveInt.optional(),
      maxNumBatchedTokens: positiveInt.optional(),
    })
    .optional(),
  enableChunkedPrefill: z.boolean().optional(),
  enablePrefixCaching: z.boolean().optional(),
  enforceEager: z.boolean().optional(),
  enableAsyncScheduling: z.boolean().optional(),
  // vLLM takes a fraction of GPU memory in (0, 1].
  gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
  trustRemoteCode: z.boolean().optional(),
  dataType: z.enum(['auto', 'float16', 'bfloat16']).optional(),
  kvCacheDataType: z.enum(['fp8', 'fp8_e5m2', 'fp8_e4m3']).optional(),
  quantization: z.enum(['fp8', 'awq', 'gptq', 'int4']).optional(),
});

export const ModelConfigurationSchema = z.strictObject({
  name: z.string().min(1).optional(),
  engine: z.literal('vllm').optional(),
  revision: z.string().min(1).optional(),
  nodeConfiguration: z
    .strictObject({ gpu: GpuSchema.optional(), storage: StorageSchema.optional() })
    .optional(),
  architecture: z
    .strictObject({
      type: z.literal('aggregated').optional(),
      workerConfig: WorkerConfigSchema.optional(),
    })
    .optional(),
});

/**
 * The `spec` of an update. `type: custom` is accepted and dropped so that a spec copied from a
 * GET response can be used as it is; the update endpoint does not take it.
 */
export const SpecSchema = z
  .strictObject({
    type: z.literal('custom').optional(),
    configuration: ModelConfigurationSchema.optional(),
  })
  .transform(({ type: _type, ...rest }) => rest);

/** The body of `POST .../llm-model-deployments/{id}`: every field optional. */
export const UpdateBodySchema = z.strictObject({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  tags: z.array(TagSchema).optional(),
  ports: z.array(PortSchema).optional(),
  spec: SpecSchema.optional(),
});
export type UpdateBody = z.infer<typeof UpdateBodySchema>;
export type Port = z.infer<typeof PortSchema>;

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
function absent<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

const DeploymentPortSchema = z.looseObject({
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
export const DeploymentSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  status: z.string().min(1),
  description: absent(z.string()),
  tags: absent(z.array(z.string())),
  projectId: absent(z.string()),
  // Only the model's name is read (the smoke test looks for it); the rest is kept as it comes.
  spec: absent(
    z.looseObject({ configuration: absent(z.looseObject({ name: absent(z.string()) })) }),
  ),
  dns: absent(z.looseObject({ base: z.string(), zone: absent(z.string()) })),
  ports: absent(z.array(DeploymentPortSchema)),
  deploymentConfiguration: absent(z.looseObject({ id: z.string(), createdAt: absent(z.string()) })),
  createdAt: absent(z.string()),
  updatedAt: absent(z.string()),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

export const GetDeploymentResponseSchema = z.looseObject({ data: DeploymentSchema });

/** Northflank's error body: `{"error": {"status", "message", "id", "details"}}`. */
export const ApiErrorBodySchema = z.looseObject({
  error: z.looseObject({
    status: z.unknown().optional(),
    message: z.unknown().optional(),
    id: z.unknown().optional(),
    details: z.unknown().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
