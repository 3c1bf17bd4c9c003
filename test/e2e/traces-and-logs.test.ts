import { waitFor } from '@fos/stack/process';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { readYaml } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';
import { withStack } from '../support/with-stack.ts';

/** The provisioned datasources, as Grafana reads them (`$$` is a literal `$` there). */
interface Datasource {
  uid: string;
  type: string;
  jsonData: {
    exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[];
    tracesToLogsV2?: { datasourceUid: string; customQuery: boolean; query: string };
    derivedFields?: {
      name: string;
      matcherType: string;
      matcherRegex: string;
      datasourceUid: string;
      url: string;
    }[];
  };
}
const datasources = ['prometheus.yml', 'traces-and-logs.yml'].flatMap(
  (file) => readYaml<{ datasources: Datasource[] }>(`grafana/provisioning/datasources/${file}`).datasources,
);
const byType = (type: string) => datasources.find((d) => d.type === type) as Datasource;
const literalDollars = (text: string) => text.replaceAll('$$', '$');

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
    await withStack({ generator: false, webappEnv: { EP_FOUR_LATENCY: '100:1000' } }, async (stack) => {
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
      // The Prometheus datasource's exemplar destination names the label that holds the trace id.
      const destination = byType('prometheus').jsonData.exemplarTraceIdDestinations?.[0];
      expect(destination?.datasourceUid).toBe(byType('jaeger').uid);
      const traceId = exemplar.labels[destination?.name ?? ''] as string;
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
      const server = trace.spans.find((span) => serviceOf(span) === 'webapp');
      expect(client?.operationName).toBe('GET /ep_four');
      // The generator's client span, by OpenTelemetry's HTTP client conventions.
      const webappUrl = new URL(stack.webapps[0]?.url ?? '');
      expect(client?.tags).toEqual(
        expect.arrayContaining([
          { key: 'http.request.method', type: 'string', value: 'GET' },
          { key: 'url.full', type: 'string', value: `${webappUrl.origin}/ep_four` },
          { key: 'server.address', type: 'string', value: webappUrl.hostname },
          { key: 'server.port', type: 'int64', value: Number(webappUrl.port) },
          { key: 'url.template', type: 'string', value: '/ep_four' },
          { key: 'span.kind', type: 'string', value: 'client' },
        ]),
      );
      // Named and described by OpenTelemetry's HTTP server conventions, as exported and decoded by Jaeger.
      expect(server?.operationName).toBe('GET /ep_four');
      expect(server?.tags).toEqual(
        expect.arrayContaining([
          { key: 'http.route', type: 'string', value: '/ep_four' },
          { key: 'http.request.method', type: 'string', value: 'GET' },
          { key: 'url.scheme', type: 'string', value: 'http' },
          { key: 'span.kind', type: 'string', value: 'server' },
        ]),
      );
      // Jaeger's durations are microseconds: the slow request, as its exemplar said.
      expect(server?.duration ?? 0).toBeGreaterThan(1_000_000);

      // The Jaeger datasource's trace-to-logs query, as Grafana fills it in for this trace.
      const toLogs = byType('jaeger').jsonData.tracesToLogsV2;
      expect(toLogs).toMatchObject({
        datasourceUid: byType('victoriametrics-logs-datasource').uid,
        customQuery: true,
      });
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a JS template.
      const logsQuery = literalDollars(toLogs?.query ?? '').replaceAll('${__trace.traceId}', traceId);
      const lines = await waitFor(
        `the log lines of trace ${traceId} in VictoriaLogs (${logsQuery})`,
        async () => {
          const found = await stack.victoriaLogs.query(logsQuery);
          return found.some((line) => line._msg?.startsWith('slow on purpose')) ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const slow = lines.find((line) => line._msg?.startsWith('slow on purpose'));
      expect(slow).toMatchObject({ 'service.name': 'webapp', severity_text: 'warn', trace_id: traceId });
      // The line's span is one of the trace's webapp spans.
      expect(trace.spans.map((span) => span.spanID)).toContain(slow?.span_id);
      // And back: the VictoriaLogs datasource's derived field turns the line's trace id into a
      // query of the Jaeger datasource, which finds the trace.
      const derived = byType('victoriametrics-logs-datasource').jsonData.derivedFields?.[0];
      expect(derived).toMatchObject({ matcherType: 'label', datasourceUid: byType('jaeger').uid });
      const linked = literalDollars(derived?.url ?? '').replaceAll(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a JS template.
        '${__value.raw}',
        slow?.[derived?.matcherRegex ?? ''] ?? '',
      );
      expect(linked).toBe(traceId);
      expect((await fetch(`${stack.jaeger.queryUrl}/api/traces/${linked}`)).status).toBe(200);

      // A request whose traceparent says "not sampled" makes no span; one that says "sampled" does.
      const traceparent = (id: string, flags: string) => `00-${id}-00f067aa0ba902b7-${flags}`;
      const [untraced, traced] = ['0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736'];
      for (const [id, flags] of [
        [untraced, '00'],
        [traced, '01'],
      ] as const)
        expect(
          (
            await fetch(`${stack.webapps[0]?.url}/ep_one`, {
              headers: { traceparent: traceparent(id, flags) },
            })
          ).status,
        ).toBe(200);
      await waitFor(
        `the sampled request's trace ${traced} in Jaeger`,
        async () => ((await fetch(`${stack.jaeger.queryUrl}/api/traces/${traced}`)).ok ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      // Exported in order, so the unsampled one would have arrived by now.
      expect((await fetch(`${stack.jaeger.queryUrl}/api/traces/${untraced}`)).status).toBe(404);

      // A failed request's span: error.type is its status code; Jaeger lists one operation a route.
      const failed = '5bf92f3577b34da6a3ce929d0e0e4737';
      expect(
        (
          await fetch(`${stack.webapps[0]?.url}/error`, {
            headers: { traceparent: traceparent(failed, '01') },
          })
        ).status,
      ).toBe(500);
      const failedSpan = await waitFor(
        `the failed request's trace ${failed} in Jaeger`,
        async () => {
          const response = await fetch(`${stack.jaeger.queryUrl}/api/traces/${failed}`);
          if (!response.ok) return undefined;
          return ((await response.json()) as { data: JaegerTrace[] }).data[0]?.spans[0];
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(failedSpan.operationName).toBe('GET /error');
      expect(failedSpan.tags).toEqual(
        expect.arrayContaining([
          { key: 'error.type', type: 'string', value: '500' },
          { key: 'http.response.status_code', type: 'int64', value: 500 },
        ]),
      );
      const operations = (
        (await (await fetch(`${stack.jaeger.queryUrl}/api/services/webapp/operations`)).json()) as {
          data: string[];
        }
      ).data;
      expect(operations).toEqual(expect.arrayContaining(['GET /ep_four', 'GET /ep_one', 'GET /error']));
      reportFigure(
        `traces: the span names Jaeger shows for the webapp: ${[...operations].sort().join(', ')}`,
      );
      reportFigure(
        `traces: exemplar ${exemplar.value} s on ${query} -> trace ${traceId} (${trace.spans.length} spans: ${[
          ...new Set(trace.spans.map(serviceOf)),
        ].join(', ')}) -> ${lines.length} log lines, one saying "${slow?._msg}"`,
      );
    });
  }, 240_000);
});
