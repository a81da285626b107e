// Without --openapi, the auditor looks for a spec where frameworks usually publish one, and
// says what it found.
import type { HttpClient } from '../http/client.ts';
import { usable } from '../http/client.ts';
import type { Target } from '../target.ts';
import { buildSpec, parseSpecText } from './load.ts';
import type { ApiSpec } from './load.ts';
import { isObject } from './refs.ts';

/** Where frameworks publish their OpenAPI document (relative to the API's base path). */
export const SPEC_PATHS = [
  'openapi.json',
  'openapi.yaml',
  'swagger.json',
  'docs/json',
  'documentation/json',
  'api-docs',
  'v3/api-docs',
  'swagger/v1/swagger.json',
  'openapi/v1.json',
  '.well-known/openapi.json',
] as const;

export const SPEC_BODY_CAP = 16 * 1024 * 1024;

export interface Discovery {
  spec?: ApiSpec;
  /** Every URL tried, in order. */
  tried: string[];
  /** Documents found but not usable (Swagger 2, invalid), with the reason. */
  rejected: { url: string; reason: string }[];
}

export async function discoverSpec(target: Target, client: HttpClient): Promise<Discovery> {
  const tried: string[] = [];
  const rejected: { url: string; reason: string }[] = [];
  const bases = new Set([target.prefix, '']);
  for (const base of bases) {
    for (const path of SPEC_PATHS) {
      const url = new URL(target.base.origin);
      url.pathname = `${base}/${path}`;
      tried.push(url.href);
      const result = await client.send({ method: 'GET', url, purpose: 'spec discovery', maxBodyBytes: SPEC_BODY_CAP, maxRedirects: 3 });
      if (!usable(result) || result.response.status !== 200 || result.response.truncated) continue;
      const text = result.response.text;
      if (!/["']?(?:openapi|swagger)["']?\s*:/.test(text.slice(0, 4096))) continue;
      try {
        const parsed = parseSpecText(text, url.href);
        if (!isObject(parsed)) continue;
        return { spec: buildSpec(parsed, url.href), tried, rejected };
      } catch (error) {
        rejected.push({ url: url.href, reason: error instanceof Error ? error.message : 'unreadable' });
      }
    }
  }
  return { tried, rejected };
}
