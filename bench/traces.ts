import { pinnedTool } from '@fos/stack/tools';
import { startJaeger, startVictoriaLogs } from '@fos/stack/traces-and-logs';
import { table } from './lib/table.ts';
import { measureOverhead, type OverheadOptions, type OverheadResult } from './overhead.ts';

export interface TracingResult extends OverheadResult {
  ratiosToBare: {
    variant: string;
    throughput: number;
    low: number;
    high: number;
    p99: number;
    cpu: number;
  }[];
}

/**
 * What traces and logs cost on the webapp's fastest route, side by side with the same rounds as the
 * metrics overhead: bare (no metrics, no telemetry); metrics only; as shipped (metrics, spans and
 * log records to a real Jaeger and VictoriaLogs, a share of requests traced where they start); and
 * every request traced. The requests carry no traceparent, so the webapp's own sampler decides, as
 * for traffic that does not come through the generator. The sampling default is chosen from this.
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
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: jaeger.otlpTracesUrl,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: victoriaLogs.otlpLogsUrl,
    };
    const variants = [
      { name: 'bare', env: { METRICS_ENABLED: 'false' } },
      { name: 'metrics only', env: { METRICS_ENABLED: 'true' } },
      ...options.ratios.map((ratio) => ({
        name: `traces ${ratio * 100}%, logs`,
        env: { METRICS_ENABLED: 'true', ...telemetry, OTEL_TRACES_SAMPLER_ARG: String(ratio) },
      })),
    ];
    const result = await measureOverhead({ ...options, control: false }, log, variants);
    return {
      ...result,
      ratiosToBare: result.ratios.map((r) => ({
        variant: r.variant,
        throughput: r.throughput,
        low: r.throughputLow,
        high: r.throughputHigh,
        p99: r.p99,
        cpu: r.cpu,
      })),
    };
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
    table([
      ['vs bare, per round', 'throughput (median)', 'middle half of rounds', 'p99', 'CPU per request'],
      ...result.ratiosToBare.map((r) => [
        r.variant,
        r.throughput.toFixed(2),
        `${r.low.toFixed(2)}..${r.high.toFixed(2)}`,
        r.p99.toFixed(2),
        r.cpu.toFixed(2),
      ]),
    ]),
  ].join('\n');
}
