// The RFC 9457 problem answers every Rampart route can give besides its own: added to each
// operation from its policy and schema, so clients and scanners know the refusals to expect.
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.ts';
import { isPublicPolicy, type RoutePolicy } from '../policy/types.ts';

/** The shape of every error body (extensions such as `errors` or `requiredScopes` may follow). */
export const PROBLEM_SCHEMA = {
  type: 'object' as const,
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' as const, description: '`about:blank` or a `tag:rampart.dev,2026:problem:<slug>` URI.' },
    title: { type: 'string' as const },
    status: { type: 'integer' as const },
    detail: { type: 'string' as const },
  },
};

const WHY: Readonly<Record<number, string>> = {
  400: 'The request is malformed or fails validation.',
  401: 'No credential, or one that is not valid (see WWW-Authenticate).',
  403: 'The credential lacks a required scope.',
  404: 'No such resource, or one owned by someone else.',
  410: 'The route is past its sunset.',
  429: 'Too many requests (see Retry-After and RateLimit).',
};

interface RouteSchema {
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  response?: unknown;
}

/** The route's declared responses plus the problems its policy and schema imply. */
export function withProblemResponses(schema: RouteSchema | undefined, policy: RoutePolicy): Record<string, unknown> {
  const statuses = [429];
  if (schema?.body !== undefined || schema?.querystring !== undefined || schema?.params !== undefined) statuses.push(400);
  if (!isPublicPolicy(policy)) statuses.push(401, 403);
  if (!isPublicPolicy(policy) && policy.owner) statuses.push(404);
  if (policy.deprecated) statuses.push(410);
  const declared = schema?.response;
  const responses: Record<string, unknown> = typeof declared === 'object' && declared !== null ? { ...declared } : {};
  for (const status of statuses.sort((a, b) => a - b)) {
    responses[status] ??= {
      description: WHY[status] ?? STATUS_CODES[status] ?? 'Error',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_SCHEMA } },
    };
  }
  return responses;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_TEXT = JSON.stringify(PROBLEM_SCHEMA);

/** Replaces each inline copy of the problem schema with a reference to the one component. */
export function useProblemComponent<T extends { paths?: unknown }>(document: T): T {
  for (const item of Object.values((document.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }).responses ?? {};
      for (const response of Object.values(responses)) {
        const media = response.content?.[PROBLEM_CONTENT_TYPE];
        if (media !== undefined && JSON.stringify(media.schema) === PROBLEM_TEXT) media.schema = PROBLEM_REF;
      }
    }
  }
  return document;
}
