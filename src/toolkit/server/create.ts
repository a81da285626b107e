// createServer: a Fastify instance with every default layer on — security headers, request
// ids, trusted-proxy client resolution, host allowlist, limits and timeouts, load shedding,
// rate limits, CORS, strict validation, problem+json errors, redacted logs — and the boot
// check that refuses routes without a policy or response schema.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ConfigError } from '../config/config-error.ts';
import { createCors } from '../cors/cors.ts';
import { errorHandler, genericProblem, sendProblem } from '../errors/handler.ts';
import { HttpProblem } from '../errors/problem.ts';
import { parseJsonBody } from '../limits/json-body.ts';
import { createLoadShedder } from '../limits/load-shedding.ts';
import { compileRateLimit, countRequest, type CompiledRateLimit } from '../limits/rate-limit.ts';
import { loggerOptions, logRequest } from '../logging/logger.ts';
import { requestIdFor } from '../logging/request-id.ts';
import { RouteDeclarationError, routeProblems } from '../policy/boot-check.ts';
import { createPolicyHook } from '../policy/enforce.ts';
import { isPublicPolicy } from '../policy/types.ts';
import { createDeprecationHook } from '../policy/deprecation.ts';
import type { SecurityEventReporter } from '../policy/events.ts';
import { describeRoute, type RouteInfo } from '../policy/inventory.ts';
import { createOwnershipHooks } from '../policy/ownership.ts';
import { createMemoryStore, type KeyValueStore } from '../stores/index.ts';
import { createClientErrorHandler } from './client-error.ts';
import { createEdge } from './edge.ts';
import { createHostCheck } from './hosts.ts';
import { createNodeServer } from './node-server.ts';
import { checkServerOptions, resolveServerOptions, type ServerOptions, type ServerOptionsInput } from './options.ts';
import { parseProxyList } from './proxy.ts';
import { createValidatorCompiler } from './schema-compilers.ts';

export type RampartServer = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

const NOT_FOUND = genericProblem(404);
const OVERLOADED = new HttpProblem(503, {
  detail: 'The server is temporarily unable to handle the request. Retry after the time in Retry-After.',
  headers: { 'retry-after': '10' },
});

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

// Async by contract: layers may register plugins that need awaiting.
// eslint-disable-next-line @typescript-eslint/require-await
export async function createServer(input: ServerOptionsInput = {}): Promise<RampartServer> {
  const options = resolveServerOptions(input);
  const problems = checkServerOptions(options);
  if (problems.length > 0) throw new ConfigError(problems);

  const store = options.keyValueStore ?? createMemoryStore({ maxKeys: options.rateLimit.maxClients });
  // The parser-level handler is created before the instance whose logger it uses.
  const late: { log?: FastifyBaseLogger } = {};
  const fastify = Fastify<Server, IncomingMessage, ServerResponse>({
    serverFactory: (handler) => createNodeServer(options, handler),
    logger: options.logDestination ? { ...loggerOptions(options.logLevel), stream: options.logDestination } : loggerOptions(options.logLevel),
    // One summary line per request is written in onResponse instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: options.limits.bodyBytes,
    routerOptions: { maxParamLength: options.limits.paramLength },
    trustProxy: false,
    return503OnClosing: true,
    clientErrorHandler: createClientErrorHandler(options.limits.urlLength, () => late.log!),
    frameworkErrors: (error, request, reply) => {
      const refusal = edge(request, reply);
      void sendProblem(reply, refusal ?? (error.statusCode !== undefined && error.statusCode < 500 ? genericProblem(error.statusCode) : genericProblem(400)));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  late.log = fastify.log;

  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('owner', null);
  fastify.decorateRequest('client', null as unknown as FastifyRequest['client']);
  fastify.setValidatorCompiler(createValidatorCompiler());
  fastify.setErrorHandler(errorHandler);
  fastify.setNotFoundHandler((_request, reply) => sendProblem(reply, genericProblem(404)));

  installBodyParsers(fastify, options);

  const edge = createEdge({
    trust: parseProxyList(options.trustedProxies).trust,
    limits: options.limits,
    hostAllowed: createHostCheck(options.allowedHosts, options.mode === 'development'),
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    const refusal = edge(request, reply);
    if (refusal) done(refusal);
    else done();
  });

  if (options.limits.maxEventLoopDelayMs > 0) {
    const shedder = createLoadShedder(options.limits.maxEventLoopDelayMs, options.limits.loadSampleIntervalMs);
    fastify.addHook('onRequest', (_request, _reply, done) => {
      done(shedder.overloaded() ? OVERLOADED : undefined);
    });
    fastify.addHook('onReady', (done) => {
      shedder.reset();
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      shedder.close();
      done();
    });
  }

  // Before the 404 answer below: preflights are OPTIONS requests that match no route.
  const cors = createCors(options.cors);
  if (cors) {
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!cors(request, reply)) done();
    });
  }

  const defaultLimit = compileRateLimit({ name: 'default', limit: options.rateLimit.limit, windowSeconds: options.rateLimit.windowSeconds });
  // Matched routes count in their own route-level hook; unknown URLs count here, so URL
  // guessing is limited like everything else, and are answered before any body is read.
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const refusal = await countRequest(store, defaultLimit, request.client.ip, reply);
    if (refusal?.first) report({ type: 'rate_limited', principalId: null, clientIp: request.client.ip, detail: { policy: 'default', route: null } });
    throw refusal?.problem ?? NOT_FOUND;
  });

  const declarationProblems: string[] = [];
  const seen = new Set<string>();
  const inventory: RouteInfo[] = [];
  const report: SecurityEventReporter = (event) => {
    options.onSecurityEvent?.(event);
  };
  fastify.addHook('onRoute', (route) => {
    const found = routeProblems(route);
    // Fastify derives a HEAD route from each GET: check it (it must be protected the same
    // way) but report its problems once, under the GET.
    const derivedHead = route.method === 'HEAD' && seen.has(`GET ${route.url}`);
    seen.add(`${String(route.method)} ${route.url}`);
    if (!derivedHead) declarationProblems.push(...found);
    if (found.length > 0 || route.policy === undefined) return;
    const policy = route.policy;
    const name = `${String(route.method)} ${route.url}`;
    const override = policy.rateLimit ? options.rateLimitOverrides[policy.rateLimit.name] : undefined;
    const limit = policy.rateLimit ? compileRateLimit({ ...policy.rateLimit, ...override }) : defaultLimit;
    const hooks: Hook[] = [markOwn(rateLimitHook(store, limit, report))];
    if (policy.deprecated) hooks.push(markOwn(createDeprecationHook(policy.deprecated, name)));
    if (!isPublicPolicy(policy)) {
      hooks.push(markOwn(createPolicyHook(policy, options.authenticators)));
      if (policy.owner) {
        const ownership = createOwnershipHooks(policy.owner, name, store, options.enumeration, report);
        hooks.push(markOwn(ownership.onRequest));
        const theirResponseHooks = toArray(route.onResponse).filter((hook) => !(OWN_HOOK in hook));
        route.onResponse = [markOwn(ownership.onResponse), ...theirResponseHooks];
      }
    }
    // The derived HEAD route may arrive with the GET's hooks already in place: never twice.
    const theirs = toArray(route.onRequest).filter((hook) => !(OWN_HOOK in hook));
    route.onRequest = [...hooks, ...theirs];
    if (!derivedHead && route.method !== 'HEAD') inventory.push(describeRoute(String(route.method), route.url, policy, { name: limit.name, limit: limit.limit, windowSeconds: limit.windowMs / 1000 }));
  });
  fastify.decorate('routeInventory', () => [...inventory].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)));
  fastify.addHook('onReady', (done) => {
    done(declarationProblems.length > 0 ? new RouteDeclarationError(declarationProblems) : undefined);
  });

  fastify.addHook('onResponse', async (request, reply) => {
    logRequest(request, reply);
  });
  if (!options.keyValueStore) fastify.addHook('onClose', () => store.close());
  return fastify;
}

function rateLimitHook(store: KeyValueStore, limit: CompiledRateLimit, report: SecurityEventReporter): Hook {
  return async function rateLimit(request, reply) {
    const refusal = await countRequest(store, limit, request.client.ip, reply);
    if (refusal) {
      // One event per client and window (the first refusal), not one per refused request.
      if (refusal.first) report({ type: 'rate_limited', principalId: null, clientIp: request.client.ip, detail: { policy: limit.name, route: request.routeOptions.url ?? null } });
      throw refusal.problem;
    }
  };
}

const OWN_HOOK = Symbol('rampart.hook');

function markOwn(hook: Hook): Hook {
  return Object.assign(hook, { [OWN_HOOK]: true });
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** JSON only; every other media type is a 415 unless a route installs its own parser. */
function installBodyParsers(fastify: FastifyInstance, options: ServerOptions): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string, options.limits.jsonDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
