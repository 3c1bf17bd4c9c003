// OpenTelemetry set-up, loaded before the app (node --import ./src/telemetry.ts): the Node SDK, with
// every setting from the standard OTEL_* environment variables (package.json's start script and
// the README give the ones this stack needs).
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { metrics } from '@opentelemetry/api';
import { HostMetrics } from '@opentelemetry/host-metrics';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { NodeSDK } from '@opentelemetry/sdk-node';

const sdk = new NodeSDK({
  instrumentations: [
    new HttpInstrumentation(),
    // Route templates (http.route) for every Fastify app the process creates.
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    new RuntimeNodeInstrumentation(),
    // Fastify's own log lines (pino) as OpenTelemetry log records, with the trace and span ids.
    new PinoInstrumentation(),
  ],
});
sdk.start();
// The process's CPU and memory (process.cpu.time, process.memory.usage).
new HostMetrics({ meterProvider: metrics.getMeterProvider(), name: 'host-metrics' }).start();

// The last metrics are pushed before the process exits.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    sdk.shutdown().finally(() => process.kill(process.pid, signal));
  });
}
