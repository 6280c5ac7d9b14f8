/**
 * The calls a preview needs besides read and update: create, list and delete (see ../shared/api).
 * Their shapes, and the id Northflank derives from a name.
 */
import * as z from 'zod/mini';
import { ResponseFormatError, compactJson } from '../errors.js';
import { parseJsonOrUndefined } from '../http/request.js';
import { once } from '../lazy-schema.js';
import { neutralise } from '../log.js';
import { deploymentSchema, type Deployment, type UpdateBody } from './schema.js';

/**
 * The id Northflank gives a deployment created with `name`: lower case, each space a hyphen
 * (the name's rules allow only letters, digits and single hyphens or spaces between words).
 */
export function deploymentIdFromName(name: string): string {
  return name.toLowerCase().replace(/\s/g, '-');
}

/** The body of `POST …/llm-model-deployments`: an update's fields, with name and spec required. */
export interface CreateBody extends Omit<UpdateBody, 'name' | 'spec'> {
  name: string;
  spec: { type: 'custom'; configuration: Record<string, unknown> };
}

/** The project's collection of deployments: team-scoped when a team is given. */
export function collectionPath(target: { projectId: string; teamId: string | undefined }): string {
  const project = `projects/${encodeURIComponent(target.projectId)}/llm-model-deployments`;
  return target.teamId === undefined
    ? `/v1/${project}`
    : `/v1/teams/${encodeURIComponent(target.teamId)}/${project}`;
}

/** The body of `GET …/llm-model-deployments`. */
const listingSchema = once(() =>
  z.looseObject({
    data: z.looseObject({ llmModelDeployments: z.array(deploymentSchema()) }),
    pagination: z.optional(
      z.looseObject({
        hasNextPage: z.optional(z.boolean()),
        cursor: z.optional(z.nullable(z.string())),
      }),
    ),
  }),
);

/** One page of the listing: its deployments, and the cursor of the next page if there is one. */
export function parseListing(
  text: string,
  path: string,
): { deployments: Deployment[]; next: string | undefined } {
  const json = parseJsonOrUndefined(text);
  const parsed = listingSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ResponseFormatError(
      `Northflank API GET ${path} answered with a listing in an unexpected shape (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not JSON'}); excerpt: ${neutralise(json === undefined ? text : compactJson(json, 200), 200)}`,
    );
  }
  const { pagination } = parsed.data;
  const next =
    pagination?.hasNextPage === true && pagination.cursor ? pagination.cursor : undefined;
  if (pagination?.hasNextPage === true && next === undefined) {
    throw new ResponseFormatError(
      `Northflank API GET ${path} says there is a next page but gives no cursor for it; the action cannot list the rest of the project`,
    );
  }
  return { deployments: parsed.data.data.llmModelDeployments, next };
}
