// Route lifecycle: RFC 9745 `Deprecation` and RFC 8594 `Sunset` headers while a deprecated
// route still answers, then 410 Gone from its sunset on.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/problem.ts';
import type { Deprecation } from './types.ts';

export function createDeprecationHook(deprecation: Deprecation, route: string) {
  const since = Date.parse(deprecation.since);
  const sunset = Date.parse(deprecation.sunset);
  if (Number.isNaN(since) || Number.isNaN(sunset) || sunset <= since) {
    throw new TypeError(`${route}: deprecated.since and deprecated.sunset must be ISO 8601 dates with sunset after since`);
  }
  const headers: Record<string, string> = {
    deprecation: `@${Math.floor(since / 1000)}`,
    sunset: new Date(sunset).toUTCString(),
  };
  if (deprecation.link !== undefined) headers.link = `<${deprecation.link}>; rel="deprecation"`;
  const gone = new HttpProblem(410, { detail: `This endpoint was retired on ${new Date(sunset).toISOString().slice(0, 10)}.`, headers: deprecation.link === undefined ? {} : { link: headers.link! } });

  return function deprecated(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (Date.now() >= sunset) return Promise.reject(gone);
    reply.headers(headers);
    return Promise.resolve();
  };
}
