import fastifyHttpMetrics from '@fos/fastify-http-metrics';
import { metricsRoute } from '@fos/service-kit';
import { Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';

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
 * HTTP and process metrics on a registry of this app's own, so two apps in one process (tests,
 * benchmarks) never share or collide on series, and /metrics serves it without a registry merge.
 * fastify-metrics supplies the default process and Node metrics; @fos/fastify-http-metrics the
 * request histogram (fastify-metrics' own costs 23% of throughput: bench/README.md).
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
    // The request histogram, as a user of the package registers it.
    await app.register(fastifyHttpMetrics, { registry });
  }

  metricsRoute(app, registry);
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
