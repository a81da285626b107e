// createServer: a Fastify instance with every default layer on — security headers, request
// ids, trusted-proxy client resolution, host allowlist, limits and timeouts, load shedding,
// rate limits, CORS, strict validation, problem+json errors, redacted logs — and the boot
// check that refuses routes without a policy or response schema.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { RampartTypeProvider } from './type-provider.ts';
import { ConfigError } from '../config/config-error.ts';
import { createCors } from '../cors/cors.ts';
import { errorHandler, genericProblem, sendProblem } from '../errors/handler.ts';
import { HttpProblem } from '../errors/problem.ts';
import { parseJsonBody } from '../limits/json-body.ts';
import { utf8Body } from '../limits/charset.ts';
import { createLoadShedder } from '../limits/load-shedding.ts';
import { observeUnmatched, requestObserver } from '../metrics/hooks.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { compileRateLimit, countRequest, countRequestSync, type CompiledRateLimit, type Refusal } from '../limits/rate-limit.ts';
import { createRequestLogger, loggerOptions } from '../logging/logger.ts';
import { standardOutput } from '../logging/destination.ts';
import { lazyChildLogger } from '../logging/lazy-child.ts';
import { requestIdFor } from '../logging/request-id.ts';
import { RouteDeclarationError, routeProblems } from '../policy/boot-check.ts';
import { createPolicyHook } from '../policy/enforce.ts';
import { isPublicPolicy } from '../policy/types.ts';
import { createDeprecationHook } from '../policy/deprecation.ts';
import type { SecurityEventReporter } from '../policy/events.ts';
import { describeRoute, type RouteInfo } from '../policy/inventory.ts';
import { createOwnershipHooks } from '../policy/ownership.ts';
import { createMemoryStore, type KeyValueStore } from '../stores/index.ts';
import { createClientErrorHandler, createConnectHandler } from './client-error.ts';
import { createDrain, type Drain } from './drain.ts';
import { createFaultMonitor } from '../faults/monitor.ts';
import { checkReadiness } from '../faults/readiness.ts';
import { createFallbackStore } from '../limits/fallback-store.ts';
import { createEdge } from './edge.ts';
import { createHostCheck } from './hosts.ts';
import { createNodeServer } from './node-server.ts';
import { checkServerOptions, resolveServerOptions, type ServerOptions, type ServerOptionsInput } from './options.ts';
import { parseProxyList } from './proxy.ts';
import { createValidatorCompiler } from './schema-compilers.ts';
import { closeRequestSchemas } from '../validation/closed.ts';

export type RampartServer = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, RampartTypeProvider>;

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

  // `local` counts in this process: the store itself without a shared one, else the
  // limiters' fallback and what must touch no dependency (liveness's limit).
  const local = createMemoryStore({ maxKeys: options.rateLimit.maxClients });
  const shared = options.keyValueStore;
  const stdout = standardOutput(options.mode === 'production');
  const logRequest = createRequestLogger(options.logDestination ?? stdout.stream, options.logLevel);
  // The parser-level handler is created before the instance whose logger it uses.
  const late: { log?: FastifyBaseLogger } = {};
  const drain = createDrain();
  const fastify = Fastify<Server, IncomingMessage, ServerResponse>({
    serverFactory: (handler) => {
      const server = createNodeServer(options, drain.wrap(handler));
      server.on('connect', createConnectHandler(() => late.log!));
      drain.watch(server, options.tls !== undefined);
      return server;
    },
    logger: { ...loggerOptions(options.logLevel), stream: options.logDestination ?? stdout.stream },
    childLoggerFactory: lazyChildLogger,
    // One summary line per request is written in onResponse instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: options.limits.bodyBytes,
    routerOptions: { maxParamLength: options.limits.paramLength },
    trustProxy: false,
    // Requests still arriving while the listener closes (after the drain) are answered as
    // usual, with Connection: close, rather than with Fastify's bare 503.
    return503OnClosing: false,
    clientErrorHandler: createClientErrorHandler(options.limits.urlLength, () => late.log!),
    frameworkErrors: (error, request, reply) => {
      const refusal = edge(request, reply);
      void sendProblem(reply, refusal ?? (error.statusCode !== undefined && error.statusCode < 500 ? genericProblem(error.statusCode) : genericProblem(400)));
    },
  }).withTypeProvider<RampartTypeProvider>();
  late.log = fastify.log;
  const monitor = createFaultMonitor({ log: fastify.log, probes: options.dependencies });
  fastify.decorate('faults', monitor);
  fastify.decorate('readiness', () => checkReadiness(monitor, drain.draining));
  const store = shared === undefined || options.rateLimitFallback === 'refuse' ? (shared ?? local) : createFallbackStore(shared, local, {
    onFallback: (fault, error) => monitor.observe(fault, error, 'degraded'),
    onDegraded(fault) {
      fastify.log.error({ dependency: fault.dependency }, `rate limits are counted per process (each instance allows the whole limit) until ${fault.dependency} is back`);
      report({ type: 'rate_limit_degraded', principalId: null, clientIp: null, detail: { dependency: fault.dependency } });
    },
    onRestored() {
      fastify.log.warn('rate limits are shared again');
    },
  });
  const publicDrain: Drain = {
    get draining() {
      return drain.draining;
    },
    begin: (timing) => drain.begin(timing),
  };
  fastify.decorate('drain', publicDrain);

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
  const shedder = options.limits.maxEventLoopDelayMs > 0 ? createLoadShedder(options.limits.maxEventLoopDelayMs, options.limits.loadSampleIntervalMs) : undefined;
  if (shedder) {
    fastify.addHook('onReady', (done) => {
      shedder.reset();
      done();
    });
    fastify.addHook('onClose', (_instance, done) => {
      shedder.close();
      done();
    });
  }
  const cors = createCors(options.cors);
  const defaultLimit = compileRateLimit({ name: 'default', limit: options.rateLimit.limit, windowSeconds: options.rateLimit.windowSeconds });

  // One hook for everything every request meets first — each Fastify hook has a cost of its
  // own, and this runs on every request. In order: the edge (client, headers, cheap
  // refusals), load shedding, CORS (which answers preflights: OPTIONS requests match no
  // route), then unknown URLs: counted against the default limit, so URL guessing is limited
  // like everything else, and answered 404 before any body is read. Matched routes count in
  // their own route-level hook.
  fastify.addHook('onRequest', (request, reply, done) => {
    const refusal = edge(request, reply) ?? (shedder?.overloaded() === true ? OVERLOADED : undefined);
    if (refusal) {
      done(refusal);
      return;
    }
    if (cors?.(request, reply) === true) return;
    if (!request.is404) {
      done();
      return;
    }
    countRequest(store, defaultLimit, request.client.ip, reply).then((limited) => {
      if (limited) options.metrics?.countRateLimitRefusal(defaultLimit.name);
      if (limited?.first) report({ type: 'rate_limited', principalId: null, clientIp: request.client.ip, detail: { policy: 'default', route: null } });
      done(limited?.problem ?? NOT_FOUND);
    }, done);
  });

  // Request schemas are closed as routes are declared, before anything reads them: the
  // validator and the OpenAPI document see the same closed schema.
  fastify.addHook('onRoute', (route) => {
    if (route.schema !== undefined) route.schema = closeRequestSchemas(route.schema);
  });

  const declarationProblems: string[] = [];
  const seen = new Set<string>();
  const inventory: RouteInfo[] = [];
  // Without a sink of the user's, every layer's events still reach the log: the README
  // promises them (rate_limited, object_enumeration, rate_limit_degraded), and a security event
  // nobody sees protects nobody.
  const report: SecurityEventReporter =
    options.onSecurityEvent ?? ((event) => fastify.log.warn({ ...event.detail, event: event.type, principalId: event.principalId, clientIp: event.clientIp }, 'security event'));
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
    let ownershipResponse: OwnHook | undefined;
    const override = policy.rateLimit ? options.rateLimitOverrides[policy.rateLimit.name] : undefined;
    const limit = policy.rateLimit ? compileRateLimit({ ...policy.rateLimit, ...override }) : defaultLimit;
    const hooks: OwnHook[] = [markOwn(rateLimitHook(policy.rateLimit?.local === true ? local : store, limit, report, route.url, options.metrics))];
    if (policy.deprecated) hooks.push(markOwn(createDeprecationHook(policy.deprecated, name)));
    if (!isPublicPolicy(policy)) {
      hooks.push(markOwn(createPolicyHook(policy, options.authenticators)));
      if (policy.owner) {
        const ownership = createOwnershipHooks(policy.owner, name, store, options.enumeration, report);
        hooks.push(markOwn(ownership.onRequest));
        ownershipResponse = markOwn(ownership.onResponse);
      }
    }
    // The derived HEAD route may arrive with the GET's hooks already in place: never twice.
    const theirs = toArray(route.onRequest).filter((hook) => !(OWN_HOOK in hook));
    route.onRequest = [...hooks, ...theirs];
    const pattern = route.url;
    const logLine = markOwn((request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      logRequest(request, reply, pattern);
      done();
    });
    const observed = options.metrics ? [markOwn(requestObserver(options.metrics, pattern))] : [];
    const theirResponses = toArray(route.onResponse).filter((hook) => !(OWN_HOOK in hook));
    route.onResponse = [...(ownershipResponse ? [ownershipResponse] : []), ...theirResponses, ...observed, logLine];
    if (!derivedHead && route.method !== 'HEAD') inventory.push(describeRoute(String(route.method), route.url, policy, { name: limit.name, limit: limit.limit, windowSeconds: limit.windowMs / 1000 }));
  });
  fastify.decorate('routeInventory', () => [...inventory].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)));
  fastify.addHook('onReady', (done) => {
    done(declarationProblems.length > 0 ? new RouteDeclarationError(declarationProblems) : undefined);
  });

  // Matched routes log from their own onResponse hook (it knows the route pattern without
  // the per-request cost of request.routeOptions); unmatched URLs log here.
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      logRequest(request, reply, null);
      if (options.metrics) observeUnmatched(options.metrics, request, reply);
    }
    done();
  });
  fastify.addHook('onClose', async () => {
    monitor.close();
    await local.close();
  });
  fastify.addHook('onClose', (_instance, done) => {
    stdout.close();
    done();
  });
  return fastify;
}

function rateLimitHook(store: KeyValueStore, limit: CompiledRateLimit, report: SecurityEventReporter, route: string, metrics: Metrics | undefined): CallbackHook {
  const refused = (request: FastifyRequest, refusal: Refusal | undefined): HttpProblem | undefined => {
    if (refusal) metrics?.countRateLimitRefusal(limit.name);
    // One event per client and window (the first refusal), not one per refused request.
    if (refusal?.first) report({ type: 'rate_limited', principalId: null, clientIp: request.client.ip, detail: { policy: limit.name, route } });
    return refusal?.problem;
  };
  const hitSync = store.hitSync?.bind(store);
  if (hitSync) {
    return function rateLimit(request, reply, done) {
      let refusal: Refusal | undefined;
      try {
        refusal = countRequestSync(hitSync, limit, request.client.ip, reply);
      } catch (error) {
        done(error as Error);
        return;
      }
      done(refused(request, refusal));
    };
  }
  return function rateLimit(request, reply, done) {
    countRequest(store, limit, request.client.ip, reply).then((refusal) => done(refused(request, refusal)), done);
  };
}

const OWN_HOOK = Symbol('rampart.hook');

type CallbackHook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
type OwnHook = Hook | CallbackHook;

function markOwn<T extends OwnHook>(hook: T): T {
  return Object.assign(hook, { [OWN_HOOK]: true });
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** JSON only (UTF-8); every other media type is a 415 unless a route installs its own parser. */
function installBodyParsers(fastify: FastifyInstance, options: ServerOptions): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(utf8Body(request.headers['content-type'], body as Buffer), options.limits.jsonDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
