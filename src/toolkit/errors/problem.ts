// RFC 9457 problem details. Bodies carry no per-request values (the request id travels in
// the X-Request-Id header), so two identical failures produce byte-identical bodies.
import { STATUS_CODES } from 'node:http';

/** Problem types are non-dereferenceable tag URIs (RFC 4151), which RFC 9457 §3.1.1 allows. */
const TYPE_BASE = 'tag:rampart.dev,2026:problem:';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export interface ProblemInit {
  /** Short machine slug, e.g. `validation-failed`; omitted means `about:blank` (status only). */
  slug?: string;
  title?: string;
  detail: string;
  /** Extension members (RFC 9457 §3.2); must not contain per-request values or secrets. */
  extensions?: Record<string, unknown>;
  /** Response headers that belong to the problem, e.g. Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>;
}

/** An error that is safe to show to the client as it is. Throw it from handlers and hooks. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly slug: string | undefined;
  readonly title: string;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, init: ProblemInit) {
    super(init.detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.slug = init.slug;
    this.title = init.title ?? statusTitle(status);
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  toJSON(): ProblemDetails {
    return {
      type: this.slug === undefined ? 'about:blank' : TYPE_BASE + this.slug,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...this.extensions,
    };
  }
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

export function isHttpProblem(value: unknown): value is HttpProblem {
  return value instanceof HttpProblem;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
