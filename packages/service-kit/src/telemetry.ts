import { subscribe } from 'node:diagnostics_channel';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Attributes, Span } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Metric, MetricObjectWithValues, MetricValue, Registry } from '@prometheus-io/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { responseErrorType, serverSpanAttributes, serverSpanName } from './http-span.ts';
import { requestTraced, TraceAdmission, traceSampler } from './sampler.ts';
import type { TelemetrySettings } from './telemetry-settings.ts';

/**
 * Bounded buffers: a backend that is down or slow costs at most this many spans (or log records)
 * held in memory per service; what does not fit is dropped and counted, never waited for.
 */
export const TELEMETRY_QUEUE_SIZE = 2048;
const EXPORT_TIMEOUT_MS = 5000;

/**
 * The SDK's own counters of what its batch processors finished with (`otel.sdk.processor.*.processed`:
 * exported, or dropped with `error.type` queue_full or the export's error), read when Prometheus scrapes.
 */
class SelfObservationReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * `otel.sdk.processor.span.processed` as a Prometheus counter family: `otel_sdk_processor_span_processed`,
 * whose samples each format names `..._total` (metrics.ts renders both; given the `_total`, an
 * OpenMetrics rendering served `..._total_total`).
 */
const promName = (name: string) => `${name.replace(/[^a-zA-Z0-9_]/g, '_')}_total`;
const promLabel = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/**
 * The SDK's counters as metrics of a prom-client registry, so that they are scraped with the rest
 * of the service's metrics from its /metrics: a registry only reads name, type and get().
 */
function registerSelfMetrics(reader: SelfObservationReader, registry: Registry): void {
  const counters = [
    [
      'otel.sdk.processor.span.processed',
      'Spans the batch processor finished with: exported, or dropped (error_type says why: queue_full, or the export error)',
    ],
    [
      'otel.sdk.processor.log.processed',
      'Log records the batch processor finished with: exported, or dropped (error_type says why: queue_full, or the export error)',
    ],
  ] as const;
  for (const [otelName, help] of counters) {
    const metric = {
      name: promName(otelName),
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async (): Promise<MetricObjectWithValues<MetricValue<string>>> => {
        const { resourceMetrics } = await reader.collect();
        const values: MetricValue<string>[] = [];
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const data of scope.metrics) {
            if (data.descriptor.name !== otelName || data.dataPointType !== DataPointType.SUM) continue;
            for (const point of (data as SumMetricData).dataPoints) {
              const labels = Object.fromEntries(
                Object.entries(point.attributes).map(([key, value]) => [promLabel(key), String(value)]),
              );
              values.push({ labels, value: point.value });
            }
          }
        }
        // The name as the rendering format has it now (metrics.ts renames counters per format).
        return {
          name: metric.name,
          help,
          type: 'counter' as never,
          aggregator: 'sum',
          values,
          collect: () => {},
        };
      },
      reset: () => {},
    };
    registry.registerMetric(metric as unknown as Metric);
  }
}

export interface Telemetry {
  /** Adds the SDK's counters of dropped spans and log records to the registry /metrics serves. */
  registerMetrics(registry: Registry): void;
  /** Exports what is buffered (bounded by the export timeout) and stops. */
  shutdown(): Promise<void>;
}

/** What @fastify/otel adds to each request: its span, while the request runs. */
type TracedRequest = FastifyRequest & { opentelemetry?: () => { span?: Span | null } };

/** @fastify/otel's `request` span, as OpenTelemetry's HTTP server conventions name and describe it. */
function describeRequestSpan(span: Span, request: FastifyRequest): void {
  const described = {
    method: request.method,
    route: request.routeOptions.url,
    scheme: request.protocol,
    host: request.hostname || undefined,
    port: request.port ?? undefined,
    protocolVersion: request.raw.httpVersion,
    userAgent: request.headers['user-agent'],
  };
  span.updateName(serverSpanName(described));
  span.setAttributes(serverSpanAttributes(described));
}

/** The attribute @fastify/otel puts on the request span it starts. */
const FASTIFY_REQUEST_SPAN = (attributes: Attributes) => attributes['fastify.root'] === '@fastify/otel';

/**
 * Decides before @fastify/otel whether a request is traced, so that an untraced one costs nothing.
 * @fastify/otel starts a span for every request and runs the request in its context, sampled or
 * not: measured on the webapp's fastest route, that alone took 0.65 of bare's throughput with the
 * handler span off, against 0.96 when it skips the requests not traced (bench/README.md). It skips
 * a request its `ignorePaths` says to, which sees only the method and URL; so this gate's
 * onRequest hook, added to every Fastify instance ahead of @fastify/otel's (the same
 * `fastify.initialization` channel, subscribed first), decides from the headers and leaves the
 * answer for the `ignorePaths` call that follows at once: Fastify runs the next onRequest hook
 * synchronously when one calls done(). Anything else asking (the route table at start-up, a
 * not-found handler later) is answered by what it is: routes are wired, later calls skipped.
 */
function requestGate(admission: TraceAdmission | undefined) {
  let pending: { method: string; url: string; traced: boolean } | undefined;
  return {
    onInitialization({ fastify }: { fastify: FastifyInstance }) {
      fastify.addHook('onRequest', function decideTracing(request: FastifyRequest, _reply, done) {
        const traced = admission ? requestTraced(request.headers.traceparent, admission) : false;
        pending = { method: request.method, url: request.url, traced };
        done();
      });
      // Ahead of @fastify/otel's onSend, which ends the span: a 5xx's error.type, while it is open.
      fastify.addHook('onSend', function markServerError(request: FastifyRequest, reply, payload, done) {
        const errorType = responseErrorType(reply.statusCode);
        if (errorType)
          (request as TracedRequest).opentelemetry?.().span?.setAttribute('error.type', errorType);
        done(null, payload);
      });
    },
    ignore(asked: { method: string; url: string; handler?: unknown }): boolean {
      if ('handler' in asked) return false;
      const decision = pending;
      pending = undefined;
      return !(decision && decision.method === asked.method && decision.url === asked.url && decision.traced);
    },
  };
}

/**
 * Starts OpenTelemetry's Node SDK for a service: a span from @fastify/otel for each traced request
 * (the W3C traceparent of an incoming request continues its trace and carries its decision; one
 * that starts here is kept by ratio, up to a number a second), log records from pino with the
 * active trace_id and span_id on every line (stdout too), OTLP over HTTP to the endpoints set,
 * through bounded batch queues. Call it before Fastify or pino is imported: their instrumentation
 * patches them as they load. With neither endpoint set nothing starts: no instrumentation, no cost.
 */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  if (!settings.tracesEndpoint && !settings.logsEndpoint)
    return { registerMetrics: () => {}, shutdown: async () => {} };
  const reader = new SelfObservationReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const queue = {
    maxQueueSize: TELEMETRY_QUEUE_SIZE,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
    selfObsMeterProvider: meterProvider,
  };
  const admission = new TraceAdmission(settings.sampleRatio, settings.maxTracesPerSecond);
  // No traces endpoint: no request is traced (log lines then carry no trace ids).
  const gate = requestGate(settings.tracesEndpoint ? admission : undefined);
  // Before the instrumentation below subscribes: this hook must run ahead of @fastify/otel's.
  subscribe('fastify.initialization', gate.onInitialization as (message: unknown) => void);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    autoDetectResources: false,
    // A request span exists only for a request the gate admitted: it is kept without asking again.
    sampler: traceSampler(admission, FASTIFY_REQUEST_SPAN),
    spanProcessors: settings.tracesEndpoint
      ? [
          new BatchSpanProcessor(
            new OTLPTraceExporter({ url: settings.tracesEndpoint, timeoutMillis: EXPORT_TIMEOUT_MS }),
            queue,
          ),
        ]
      : [],
    logRecordProcessors: settings.logsEndpoint
      ? [
          new BatchLogRecordProcessor({
            exporter: new OTLPLogExporter({ url: settings.logsEndpoint, timeoutMillis: EXPORT_TIMEOUT_MS }),
            ...queue,
          }),
        ]
      : [],
    // The SDK's own metrics stay on /metrics (above): no metrics exporter from the environment.
    metricReaders: [],
    instrumentations: [
      // One span per traced request: the handler's and the hooks' spans cost more than they tell
      // (bench/README.md); the request span holds the route, the status and any error.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        instrumentHandler: false,
        ignorePaths: gate.ignore as never,
        // Named and described as OpenTelemetry's HTTP server conventions say (http-span.ts).
        requestHook: describeRequestSpan,
      }),
      new PinoInstrumentation({ disableLogSending: !settings.logsEndpoint }),
    ],
  });
  sdk.start();
  return {
    registerMetrics: (registry) => registerSelfMetrics(reader, registry),
    shutdown: async () => {
      await sdk.shutdown();
      await meterProvider.shutdown();
    },
  };
}
