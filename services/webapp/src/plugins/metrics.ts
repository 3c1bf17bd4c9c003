import fastifyHttpMetrics from '@fos/fastify-http-metrics';
import { metricsRoute } from '@fos/service-kit';
import type { Telemetry } from '@fos/service-kit/telemetry';
import { type Context, TraceFlags, trace } from '@opentelemetry/api';
import { Registry } from '@prometheus-io/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';

export interface MetricsPluginOptions {
  serviceName: string;
  environment: string;
  /** Off only for measuring what the instrumentation costs; business metrics stay on. */
  requestMetricsEnabled: boolean;
  /** Its counters of spans and log records dropped (otel_sdk_processor_*_processed_total). */
  telemetry?: Telemetry;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry;
  }
}

// A CommonJS module that sets exports.default: under ESM the plugin is that property.
const fastifyMetrics = fastifyMetricsModule.default;

/** What @fastify/otel adds to each request it traces (its plugin, registered by telemetry.ts). */
type TracedRequest = FastifyRequest & { opentelemetry?: () => { context?: Context | null } };

/**
 * A request's trace as its latency observation's exemplar, when the trace is kept (sampled). Read
 * from the request's context: @fastify/otel has ended and let go of the span itself by the time
 * the histogram's onResponse hook runs.
 */
function traceExemplar(request: FastifyRequest): Readonly<Record<string, string>> | undefined {
  const otelContext = (request as TracedRequest).opentelemetry?.().context;
  const spanContext = otelContext ? trace.getSpan(otelContext)?.spanContext() : undefined;
  if (!spanContext || (spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * HTTP and process metrics on a registry of this app's own, so two apps in one process (tests,
 * benchmarks) never share or collide on series, and /metrics serves it without a registry merge.
 * fastify-metrics supplies the default process and Node metrics; @fos/fastify-http-metrics the
 * request histogram (fastify-metrics' own costs 23% of throughput: bench/README.md). The registry
 * speaks OpenMetrics, the format that carries exemplars: each latency bucket points at the trace of
 * a request that landed there.
 */
async function metricsPlugin(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
  registry.setDefaultLabels({ service: options.serviceName, environment: options.environment });
  app.decorate('metricsRegistry', registry);

  if (options.requestMetricsEnabled) {
    await app.register(fastifyMetrics, {
      endpoint: null,
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: { enabled: false },
    });
    // The request histogram, as a user of the package registers it.
    await app.register(fastifyHttpMetrics, { registry, exemplar: traceExemplar });
  }

  options.telemetry?.registerMetrics(registry);
  metricsRoute(app, registry);
}

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
