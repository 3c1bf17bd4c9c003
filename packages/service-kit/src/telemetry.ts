import { FastifyOtelInstrumentation } from '@fastify/otel';
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
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Metric, MetricObjectWithValues, MetricValue, Registry } from '@prometheus-io/client';
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

/** `otel.sdk.processor.span.processed` as Prometheus names it: `otel_sdk_processor_span_processed_total`. */
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
    const name = promName(otelName);
    const metric = {
      name,
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
        return { name, help, type: 'counter' as never, aggregator: 'sum', values, collect: () => {} };
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

/**
 * Starts OpenTelemetry's Node SDK for a service: spans from @fastify/otel (each request and its
 * handler; the W3C traceparent of an incoming request continues its trace), log records from pino
 * with the active trace_id and span_id on every line (stdout too), OTLP over HTTP to the endpoints
 * set, through bounded batch queues. Call it before Fastify or pino is imported: their
 * instrumentation patches them as they load.
 */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  const reader = new SelfObservationReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const queue = {
    maxQueueSize: TELEMETRY_QUEUE_SIZE,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 1000,
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
    selfObsMeterProvider: meterProvider,
  };
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    autoDetectResources: false,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
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
      // Request and handler spans; hooks' spans cost more than they tell (bench/README.md).
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false }),
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
