// The otel variant of bench/lib/instrumented-server.ts: the Node SDK with the HTTP instrumentation
// and @fastify/otel, metrics read every 5 s into memory (what they cost to record, not to send);
// no trace exporter, so spans are not kept.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';

process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http';
new NodeSDK({
  serviceName: 'bench',
  metricReader: new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 5000,
  }),
  instrumentations: [
    new HttpInstrumentation(),
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
  ],
}).start();
