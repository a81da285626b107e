// The first pass over a target: the base URL, every GET operation of the spec once (with
// values learned from earlier answers), then the same-origin links those answers revealed.
// Passive checks read these observations; active checks use them as baselines.
import type { HttpClient, HttpRequestSpec, UsableResult } from './http/client.ts';
import { usable } from './http/client.ts';
import { parseJson, revealedLinks } from './lib/links.ts';
import type { ApiSpec, Operation } from './spec/load.ts';
import { matchTemplate } from './spec/load.ts';
import type { RequestPlanner } from './spec/request.ts';
import type { ValueBank } from './spec/values.ts';
import type { Target } from './target.ts';

export interface Observation {
  method: string;
  /** Spec template for spec operations, else the path relative to the target. */
  route: string;
  url: URL;
  source: 'base' | 'spec' | 'link';
  operation?: Operation;
  result: UsableResult;
}

export interface SurveyOptions {
  maxLinks?: number;
  send: (request: HttpRequestSpec) => ReturnType<HttpClient['send']>;
  note: (message: string) => void;
}

export class Survey {
  readonly observations: Observation[] = [];
  /** Same-origin URLs that answers revealed, by href. */
  readonly revealed = new Map<string, { url: URL; from: string }>();
  /** Operations whose survey request got no usable answer, with the reason. */
  readonly unanswered = new Map<Operation, string>();

  /** The survey answer for an operation, if it got one. */
  baseline(operation: Operation): Observation | undefined {
    return this.observations.find((o) => o.operation === operation);
  }

  get base(): Observation | undefined {
    return this.observations.find((o) => o.source === 'base');
  }
}

function pathParams(operation: Operation): number {
  return (operation.path.match(/\{/g) ?? []).length;
}

/** Does a spec operation (any method) cover this path? */
export function documented(spec: ApiSpec, target: Target, url: URL): boolean {
  const route = target.routeOf(url);
  return spec.operations.some((operation) => matchTemplate(operation.path, route));
}

export async function runSurvey(
  target: Target,
  spec: ApiSpec | undefined,
  planner: RequestPlanner | undefined,
  values: ValueBank,
  options: SurveyOptions,
  baseResult: UsableResult,
): Promise<Survey> {
  const survey = new Survey();
  const record = (observation: Observation): void => {
    survey.observations.push(observation);
    // Only successful answers hold real values: a refusal's problem+json (`status: 401`) does not.
    const ok = observation.result.response.status >= 200 && observation.result.response.status < 300;
    const json = ok ? parseJson(observation.result.response.text) : undefined;
    if (json !== undefined && observation.operation) values.learn(observation.operation.path, json);
    for (const url of revealedLinks(observation.result.response, observation.url)) {
      if (target.inScope(url) && !survey.revealed.has(url.href)) survey.revealed.set(url.href, { url, from: `${observation.method} ${observation.route}` });
    }
  };
  record({ method: 'GET', route: target.routeOf(target.root()), url: target.root(), source: 'base', result: baseResult });

  if (spec && planner) {
    // Collections first: their answers reveal the ids that item routes need.
    const gets = spec.operations.filter((o) => o.method === 'GET').sort((a, b) => pathParams(a) - pathParams(b));
    for (const operation of gets) {
      const planned = planner.plan(operation);
      const result = await options.send({
        method: 'GET',
        url: planned.url,
        headers: planned.headers,
        purpose: `survey ${operation.path}`,
      });
      if (usable(result)) {
        record({ method: 'GET', route: operation.path, url: planned.url, source: 'spec', operation, result });
      } else {
        survey.unanswered.set(operation, result.error);
      }
    }
  }

  // Links the answers revealed that no spec operation covers (all of them without a spec).
  const maxLinks = options.maxLinks ?? 20;
  let followed = 0;
  const seen = new Set<string>(survey.observations.map((o) => o.url.href));
  // A Map iterates over entries added while iterating: links revealed by followed links come too.
  for (const { url } of survey.revealed.values()) {
    if (followed >= maxLinks) break;
    if (seen.has(url.href) || (spec && documented(spec, target, url))) continue;
    seen.add(url.href);
    followed++;
    const result = await options.send({ method: 'GET', url, purpose: 'survey revealed link' });
    if (usable(result)) record({ method: 'GET', route: target.routeOf(url), url, source: 'link', result });
  }
  return survey;
}
