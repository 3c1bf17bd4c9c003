import type { Registry } from '@prometheus-io/client';
import type { FastifyInstance, FastifyRequest, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { DurationHistogram, type HistogramSeries } from './duration-histogram.ts';

export { DurationHistogram, type Exemplar, HistogramSeries } from './duration-histogram.ts';
export {
  METRICS_CONTENT_TYPES,
  type MetricsFormat,
  metricsHandler,
  metricsRenderer,
  negotiatedFormat,
} from './metrics-route.ts';

/** Fits web latency profiles: dense around 0.1, 0.25 and 0.5 s, where SLO thresholds sit. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5,
] as const;

/** Every request that matched no route shares this label, so random paths add no series. */
export const UNMATCHED_ROUTE_LABEL = '__unmatched__';

/**
 * The methods an unmatched request keeps as its label; any other (PROPFIND, MKCOL, ... Node parses
 * 34) shares one value, so probing with odd methods adds one series, not one per method.
 */
const COMMON_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
export const OTHER_METHOD_LABEL = '__other__';

/** Scrapes, probes and docs would drown the traffic they are meant to observe. */
export const DEFAULT_EXCLUDED_ROUTES: readonly (string | RegExp)[] = [
  '/metrics',
  '/health',
  '/ready',
  /^\/docs(\/|$)/,
];

export interface FastifyHttpMetricsOptions {
  /** The registry the histogram joins: the one your /metrics serves. */
  registry: Registry;
  /** Upper bounds in seconds (default HTTP_DURATION_BUCKETS). */
  buckets?: readonly number[];
  /** Route templates not measured (default DEFAULT_EXCLUDED_ROUTES). */
  excludeRoutes?: readonly (string | RegExp)[];
  /**
   * The labels of a request's exemplar (its trace: `{ trace_id, span_id }`), or undefined for none,
   * e.g. when its trace is not sampled. Served only where the registry is OpenMetrics.
   */
  exemplar?: (request: FastifyRequest) => Readonly<Record<string, string>> | undefined;
}

/**
 * http_request_duration_seconds{method, route, status_code}, named and labelled as fastify-metrics'
 * route histogram. fastify-metrics' own route metrics (an onRequest timer per request kept in a
 * WeakMap, a label object per response, a route blacklist scanned per request) cost 23% of
 * throughput on the fastest route. Here each measured route has one onResponse hook, made when the
 * route is added, that reads Fastify's own timer (reply.elapsedTime) and finds its series through
 * two map lookups (method, status code), building no string or object per request (bench/README.md).
 */
function fastifyHttpMetrics(
  app: FastifyInstance,
  options: FastifyHttpMetricsOptions,
  done: () => void,
): void {
  const excluded = options.excludeRoutes ?? DEFAULT_EXCLUDED_ROUTES;
  const exemplarOf = options.exemplar ?? (() => undefined);
  const histogram = new DurationHistogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: options.buckets ?? HTTP_DURATION_BUCKETS,
    registers: [options.registry],
  });
  // Per route template: method -> status code -> series. Bounded: routes are templates, methods
  // the ones Node's parser accepts, statuses 100..599.
  type SeriesByMethod = Map<string, Map<number, HistogramSeries>>;
  const seriesFor = (byMethod: SeriesByMethod, route: string, method: string, statusCode: number) => {
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = histogram.series({ method, route, status_code: String(statusCode) });
      byStatus.set(statusCode, series);
    }
    return series;
  };
  // Each measured route gets a hook of its own that knows its template: reading it from the request
  // (request.routeOptions) builds an object of twelve fields per call, most of this plugin's cost on
  // a cheap route.
  app.addHook('onRoute', (route) => {
    const template = route.url;
    if (excluded.some((p) => (typeof p === 'string' ? p === template : p.test(template)))) return;
    const byMethod: SeriesByMethod = new Map();
    const observe: onResponseHookHandler = (request, reply, next) => {
      seriesFor(byMethod, template, request.method, reply.statusCode).observe(
        reply.elapsedTime / 1000,
        exemplarOf(request),
      );
      next();
    };
    route.onResponse = route.onResponse ? [...[route.onResponse].flat(), observe] : [observe];
  });
  // Requests that matched no route share one label; odd methods there share another.
  const unmatched: SeriesByMethod = new Map();
  app.addHook('onResponse', (request, reply, next) => {
    if (request.is404) {
      const method = COMMON_METHODS.has(request.method) ? request.method : OTHER_METHOD_LABEL;
      seriesFor(unmatched, UNMATCHED_ROUTE_LABEL, method, reply.statusCode).observe(reply.elapsedTime / 1000);
    }
    next();
  });
  done();
}

export default fp(fastifyHttpMetrics, { name: '@fos/fastify-http-metrics', fastify: '5.x' });
