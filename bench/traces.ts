import { pinnedTool } from '@fos/stack/tools';
import { startJaeger, startVictoriaLogs } from '@fos/stack/traces-and-logs';
import { table } from './lib/table.ts';
import { measureOverhead, type OverheadOptions, type OverheadResult, pairedRatiosTable } from './overhead.ts';

export type TracingResult = OverheadResult;

/**
 * What traces and logs cost on the webapp's fastest route, side by side with the same rounds as the
 * metrics overhead: bare (no metrics, no telemetry); metrics only; as shipped (metrics, spans and
 * log records to a real Jaeger and VictoriaLogs, every trace that starts here kept up to the cap of
 * TRACES_MAX_PER_SECOND); the same at each uncapped ratio (1: OpenTelemetry's SDK with @fastify/otel
 * and every span sampled); and, instead of ours, @opentelemetry/auto-instrumentations-node with its
 * defaults, to the same Jaeger. The requests carry no traceparent, so the webapp's own sampler
 * decides, as for traffic that does not come through the generator. The defaults are chosen from this.
 */
export async function measureTracing(
  options: Omit<OverheadOptions, 'control'> & { ratios: readonly number[] },
  log: (line: string) => void = () => {},
): Promise<TracingResult> {
  const jaegerBinary = pinnedTool('jaeger');
  const victoriaLogsBinary = pinnedTool('victoria-logs');
  if (!jaegerBinary || !victoriaLogsBinary)
    throw new Error('the tracing bench needs Jaeger and VictoriaLogs (make tools)');
  const [jaeger, victoriaLogs] = await Promise.all([
    startJaeger(jaegerBinary),
    startVictoriaLogs(victoriaLogsBinary),
  ]);
  try {
    const telemetry = {
      METRICS_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: jaeger.otlpTracesUrl,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: victoriaLogs.otlpLogsUrl,
    };
    const variants: { name: string; env: Record<string, string> }[] = [
      { name: 'bare', env: { METRICS_ENABLED: 'false' } },
      { name: 'metrics only', env: { METRICS_ENABLED: 'true' } },
      { name: 'as shipped (traces <= 10/s, logs)', env: telemetry },
      ...options.ratios.map((ratio) => ({
        name: `traces ${ratio * 100}% uncapped, logs`,
        env: { ...telemetry, OTEL_TRACES_SAMPLER_ARG: String(ratio), TRACES_MAX_PER_SECOND: '1e9' },
      })),
      {
        name: 'auto-instrumentations-node',
        env: {
          METRICS_ENABLED: 'false',
          NODE_OPTIONS: '--import @opentelemetry/auto-instrumentations-node/register',
          OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpTracesUrl.replace(/\/v1\/traces$/, ''),
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
      },
    ];
    return await measureOverhead({ ...options, control: false }, log, variants);
  } finally {
    await Promise.all([jaeger.stop(), victoriaLogs.stop()]);
  }
}

export function formatTracing(result: TracingResult): string {
  return [
    `Traces and logs on GET ${result.options.path}: ${result.options.rounds} rounds of ${result.options.durationSeconds} s, ${result.options.connections} connections (logs at warn, as the other comparisons)`,
    table([
      ['variant', 'req/s (median)', 'CPU µs/request'],
      ...result.summary.map((row) => [row.variant, row.medianRps.toFixed(0), row.medianCpuMicros.toFixed(1)]),
    ]),
    '',
    pairedRatiosTable(result),
  ].join('\n');
}
