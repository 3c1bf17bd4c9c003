import { metricsRoute } from '@fos/service-kit';
import { Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import { DurationHistogram, type HistogramSeries } from './duration-histogram.ts';

/** Fits the latency profiles: dense around 0.1, 0.25 and 0.5 s, where SLO thresholds sit. */
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
const UNMEASURED_ROUTES: readonly (string | RegExp)[] = ['/metrics', '/health', '/ready', /^\/docs(\/|$)/];

export interface MetricsPluginOptions {
  serviceName: string;
  environment: string;
  /** Off only for measuring what the instrumentation costs; business metrics stay on. */
  requestMetricsEnabled: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

// A CommonJS module that sets exports.default: under ESM the plugin is that property.
const fastifyMetrics = fastifyMetricsModule.default;

/**
 * The request histogram, from one onResponse hook. fastify-metrics' own route metrics (an onRequest
 * timer per request kept in a WeakMap, a label object per response, a route blacklist scanned per
 * request) cost 23% of throughput on the fastest route. This hook reads Fastify's own timer (reply.elapsedTime), decides once per route whether it
 * is measured, and finds its series through three map lookups on values Fastify already holds (route
 * template, method, status code), building no string or object per request (bench/README.md).
 */
function registerRequestHistogram(app: FastifyInstance, registry: Registry): void {
  const histogram = new DurationHistogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  // route -> method -> status code -> series; null for a route that is not measured. Bounded: routes
  // are templates, methods the ones Node's parser accepts, statuses 100..599.
  const seriesByRoute = new Map<string, Map<string, Map<number, HistogramSeries>> | null>();
  const seriesFor = (route: string, method: string, statusCode: number): HistogramSeries | undefined => {
    let byMethod = seriesByRoute.get(route);
    if (byMethod === undefined) {
      const measured = !UNMEASURED_ROUTES.some((p) => (typeof p === 'string' ? p === route : p.test(route)));
      byMethod = measured ? new Map() : null;
      seriesByRoute.set(route, byMethod);
    }
    if (byMethod === null) return undefined;
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
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    // A matched route has only the methods it was declared with; an unmatched one, whatever was sent.
    const method =
      route !== undefined || COMMON_METHODS.has(request.method) ? request.method : OTHER_METHOD_LABEL;
    seriesFor(route ?? UNMATCHED_ROUTE_LABEL, method, reply.statusCode)?.observe(reply.elapsedTime / 1000);
    done();
  });
}

/**
 * HTTP and process metrics on a registry of this app's own, so two apps in one process (tests,
 * benchmarks) never share or collide on series, and /metrics serves it without a registry merge.
 * fastify-metrics supplies the default process and Node metrics.
 */
async function metricsPlugin(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.serviceName, environment: options.environment });
  app.decorate('metricsRegistry', registry);

  if (options.requestMetricsEnabled) {
    await app.register(fastifyMetrics, {
      endpoint: null,
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: { enabled: false },
    });
    registerRequestHistogram(app, registry);
  }

  metricsRoute(app, registry);
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
