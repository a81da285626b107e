// API keys read from the query string where the spec says header: query strings end up in
// access logs, proxies, browser history and Referer headers. Proven without a valid key, by a
// differential: when the target answers a missing key and a wrong key differently, a wrong key
// in the query string that gets the wrong-key answer shows the query string is read as a key.
// A control (an unrelated query parameter) must get the missing-key answer.
import type { Check, CheckContext } from '../check.ts';
import type { HttpResult } from '../http/client.ts';
import { usable } from '../http/client.ts';
import { differentAnswer, sameAnswer } from '../lib/compare.ts';
import { exchange, PROBE_MARK } from '../lib/evidence.ts';
import type { Operation, SecurityScheme } from '../spec/load.ts';

function queryNames(headerName: string): string[] {
  const lower = headerName.toLowerCase();
  const bare = lower.replace(/^x-/, '');
  return [...new Set([headerName, lower, lower.replaceAll('-', '_'), bare, bare.replaceAll('-', '_'), bare.replaceAll('-', ''), 'api_key', 'apikey', 'key', 'access_token', 'token'])];
}

function operationFor(operations: Operation[], scheme: SecurityScheme): Operation | undefined {
  return operations.find(
    (o) => o.method === 'GET' && o.security.length > 0 && o.security.every((r) => Object.keys(r).length > 0) && o.security.some((r) => Object.keys(r).length === 1 && r[scheme.name] !== undefined),
  );
}

export const apiKeyQueryCheck: Check = {
  id: 'api-key-query',
  title: 'API keys in query strings',
  owasp: 'API2:2023',
  cwe: 598,
  summary: 'An API key the spec puts in a header is also read from the query string.',
  needs: ['spec'],
  rules: [
    {
      id: 'api-key-query.accepted',
      title: 'API key is read from the query string',
      severity: 'medium',
      owasp: 'API2:2023',
      cwe: 598,
      fix: 'Read API keys only from the header the spec declares; ignore (or reject with 400) keys in the query string, and rotate keys that may have been logged.',
    },
  ],
  async run(ctx: CheckContext): Promise<void> {
    const spec = ctx.spec!;
    const planner = ctx.planner!;
    const schemes = Object.values(spec.securitySchemes).filter((s) => s.type === 'apiKey' && s.in === 'header' && s.paramName !== undefined);
    // Keys the spec declares, and the custom headers the identities' credentials travel in
    // (real specs often declare none), each on a route that refuses anonymous callers.
    const keys = new Map<string, { operation: Operation; name: string; said: string }>();
    for (const scheme of schemes) {
      const operation = operationFor(spec.operations, scheme);
      if (operation !== undefined && !keys.has(scheme.paramName!.toLowerCase())) keys.set(scheme.paramName!.toLowerCase(), { operation, name: scheme.name, said: `The spec puts ${scheme.name} in the ${scheme.paramName!} header.` });
    }
    const guarded = spec.operations.find((o) => o.method === 'GET' && !o.path.includes('{') && ctx.protection.refusesAnonymous(o));
    for (const identity of ctx.identities) {
      for (const name of Object.keys(await identity.headers())) {
        if (name !== 'authorization' && name !== 'cookie' && guarded !== undefined && !keys.has(name)) keys.set(name, { operation: guarded, name, said: `The credential of ${identity.name} travels in the ${name} header.` });
      }
    }
    for (const [header, { operation, name: keyName, said }] of [...keys].slice(0, 3)) {
      const bogus = `${PROBE_MARK}-${ctx.token}`;
      const send = (purpose: string, query: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> => {
        const planned = planner.plan(operation, { values: query, headers });
        return ctx.send({ method: 'GET', url: planned.url, headers: planned.headers, purpose });
      };
      const missing = await send('no key', {});
      const wrong = await send('wrong key in the header', {}, { [header.toLowerCase()]: bogus });
      if (!usable(missing) || !usable(wrong)) continue;
      if (missing.response.status < 400) continue; // open route: the inventory check reports it
      if (!differentAnswer(missing.response, wrong.response, [bogus])) {
        ctx.note(`${keyName}: a missing key and a wrong key get the same answer; query-string keys need a valid key to test`);
        continue;
      }
      const control = await send('control: unrelated query parameter', { [`rampart_${ctx.token}`]: bogus });
      if (!usable(control) || !sameAnswer(missing.response, control.response, [bogus])) continue;
      for (const name of queryNames(header)) {
        const probe = await send(`wrong key in query parameter ${name}`, { [name]: bogus });
        if (!usable(probe)) break;
        if (!sameAnswer(wrong.response, probe.response, [bogus]) || !differentAnswer(missing.response, probe.response, [bogus])) continue;
        ctx.report({
          rule: 'api-key-query.accepted',
          title: `API key is read from the query string (\`${name}\`)`,
          confidence: 'firm',
          location: { method: operation.method, route: operation.path, parameter: name },
          evidence: {
            summary:
              `${said} Without a key the answer is ${missing.response.status}; a wrong key in the header changes it (${wrong.response.status}); ` +
              `the same wrong key in ?${name}= gets exactly the wrong-key answer, while an unrelated parameter gets the no-key one: the query string is read as a key.`,
            exchanges: [
              exchange('no key', missing),
              exchange('wrong key in the header', wrong),
              exchange(`wrong key in ?${name}=`, probe),
              exchange('control: unrelated query parameter', control),
            ],
          },
        });
        break;
      }
    }
  },
};
