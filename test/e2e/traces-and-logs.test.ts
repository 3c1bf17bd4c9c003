import { waitFor } from '@fos/stack/process';
import { Stack } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { reportFigure } from '../support/report.ts';

const binaries =
  pinnedTool('prometheus') &&
  pinnedTool('alertmanager') &&
  pinnedTool('jaeger') &&
  pinnedTool('victoria-logs');

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    processID: string;
    duration: number;
    tags: { key: string; value: unknown }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}

describe.skipIf(!binaries)('traces and logs beside the metrics, on the real stack', () => {
  it('leads from a slow request’s exemplar to its trace across the generator and the webapp, and to its log lines', async () => {
    // /ep_four's p95 at 1 s: a twentieth of its requests are slow on purpose, and those over 1 s
    // land in the le="2.5" bucket, whose exemplar is then one of them.
    const stack = await Stack.start({ generator: false, webappEnv: { EP_FOUR_LATENCY: '100:1000' } });
    try {
      const startedAt = Date.now() / 1000;
      stack.startGenerator(['--rate', '20', '--weights', 'ep_four=1', '--trace-sample-ratio', '1']);
      const query = 'http_request_duration_seconds_bucket{job="webapp",route="/ep_four",le="2.5"}';
      const exemplar = await waitFor(
        'an exemplar of a slow /ep_four request in Prometheus',
        async () => {
          const params = new URLSearchParams({
            query,
            start: String(startedAt),
            end: String(Date.now() / 1000 + 60),
          });
          const response = await fetch(`${stack.prometheus.url}/api/v1/query_exemplars?${params}`);
          const body = (await response.json()) as { data: ExemplarSeries[] };
          return body.data.flatMap((series) => series.exemplars).find((e) => e.labels.trace_id);
        },
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      const traceId = exemplar.labels.trace_id as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(Number(exemplar.value)).toBeGreaterThan(1);

      const trace = await waitFor(
        `trace ${traceId} in Jaeger with the generator's and the webapp's spans`,
        async () => {
          const response = await fetch(`${stack.jaeger.queryUrl}/api/traces/${traceId}`);
          if (!response.ok) return undefined;
          const [found] = ((await response.json()) as { data: JaegerTrace[] }).data;
          const services = new Set(found?.spans.map((span) => found.processes[span.processID]?.serviceName));
          return services.has('request-generator') && services.has('webapp') ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const serviceOf = (span: JaegerTrace['spans'][number]) => trace.processes[span.processID]?.serviceName;
      const client = trace.spans.find((span) => serviceOf(span) === 'request-generator');
      const server = trace.spans.find(
        (span) => serviceOf(span) === 'webapp' && span.operationName === 'request',
      );
      expect(client?.operationName).toBe('GET /ep_four');
      expect(server?.tags).toContainEqual({ key: 'http.route', type: 'string', value: '/ep_four' });
      // Jaeger's durations are microseconds: the slow request, as its exemplar said.
      expect(server?.duration ?? 0).toBeGreaterThan(1_000_000);

      const lines = await waitFor(
        `the log lines of trace ${traceId} in VictoriaLogs`,
        async () => {
          const found = await stack.victoriaLogs.query(`trace_id:${traceId}`);
          return found.some((line) => line._msg?.startsWith('slow on purpose')) ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const slow = lines.find((line) => line._msg?.startsWith('slow on purpose'));
      expect(slow).toMatchObject({ 'service.name': 'webapp', severity_text: 'warn', trace_id: traceId });
      // The line's span is one of the trace's webapp spans.
      expect(trace.spans.map((span) => span.spanID)).toContain(slow?.span_id);
      reportFigure(
        `traces: exemplar ${exemplar.value} s on ${query} -> trace ${traceId} (${trace.spans.length} spans: ${[
          ...new Set(trace.spans.map(serviceOf)),
        ].join(', ')}) -> ${lines.length} log lines, one saying "${slow?._msg}"`,
      );
    } catch (error) {
      (error as Error).message += `\n\nprocess logs:\n${stack.logs()}`;
      throw error;
    } finally {
      await stack.stop();
    }
  }, 240_000);
});
