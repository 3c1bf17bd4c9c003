import { Registry } from '@prometheus-io/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';

/** Fits the latency profiles: dense around 0.1, 0.25 and 0.5 s, where SLO thresholds sit. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5,
] as const;

/** Every request that matched no route shares this label, so random paths add no series. */
export const UNMATCHED_ROUTE_LABEL = '__unmatched__';

/** Scrapes, probes and docs would drown the traffic they are meant to observe. */
const UNMEASURED_ROUTES = ['/metrics', '/health', '/ready', /^\/docs(\/|$)/];

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

function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE_LABEL;
}

/**
 * HTTP and process metrics on a registry of this app's own, so two apps in one process (tests,
 * benchmarks) never share or collide on series, and /metrics serves it without a registry merge.
 */
async function metricsPlugin(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.serviceName, environment: options.environment });
  app.decorate('metricsRegistry', registry);

  if (options.requestMetricsEnabled) {
    await app.register(fastifyMetrics, {
      endpoint: null,
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        registeredRoutesOnly: false,
        invalidRouteGroup: UNMATCHED_ROUTE_LABEL,
        routeBlacklist: UNMEASURED_ROUTES,
        overrides: {
          labels: { getRouteLabel: routeLabel },
          histogram: {
            name: 'http_request_duration_seconds',
            help: 'HTTP request duration in seconds, by method, route template and status code',
            buckets: [...HTTP_DURATION_BUCKETS],
            registers: [registry],
          },
          // The summary is disabled but still constructed by fastify-metrics: keep it off every registry.
          summary: { registers: [] },
        },
      },
    });
  }

  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics in the text exposition format',
        tags: ['observability'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
