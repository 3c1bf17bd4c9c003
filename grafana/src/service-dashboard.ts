import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  baseDashboard,
  firingAlertsAnnotation,
  labelVariable,
  resultVariable,
  serviceVariable,
  stat,
  table,
  timeseries,
} from './common.ts';
import { logsPanel, tracesTable } from './traces-and-logs.ts';

export const SERVICE_DASHBOARD_UID = 'fos-service';
export const SERVICE_DASHBOARD_PATH = `/d/${SERVICE_DASHBOARD_UID}/service-overview`;

/** Label filters every panel applies, from the service, instance and route variables. */
const SELECTED = 'job="$service", instance=~"$instance", route=~"$route"';
const SERVICE = 'job="$service"';
const INSTANCE = 'job="$service", instance=~"$instance"';

/** Said by every panel that shows a series the rules aggregate over all instances. */
const JOB_LEVEL =
  'Series marked "service" are for the whole service: the Instance filter does not apply to them.';

/**
 * Any service's dashboard, picked by the Service variable (its Prometheus `job`): it reads only the
 * first layer of recording rules (prometheus/rules/recording.yml), which turn the Prometheus-client
 * and the OpenTelemetry conventions into the same series.
 */
export function serviceDashboard(): Dashboard {
  return (
    baseDashboard({
      title: 'Service overview',
      uid: SERVICE_DASHBOARD_UID,
      description:
        'Any HTTP service, scraped or pushing OpenTelemetry: RED metrics by route, latency percentiles, process health and alerts.',
      tags: ['service'],
    })
      .annotation(firingAlertsAnnotation())
      // One service at a time: its `job`, of every service Prometheus scrapes (up) or that pushes
      // (target_info), so that an alert's link opens on its service even before it served a
      // request (an InstanceDown of a service of the user's that had no traffic yet).
      .withVariable(serviceVariable('{__name__=~"up|target_info"}', 'job'))
      // The commonest 5xx of the service over the range, which the failed-traces panel searches for.
      .withVariable(
        resultVariable(
          'failed_status',
          `topk(1, sum by (status_code) (sum_over_time(instance_route_status:http_requests:rate1m{${SERVICE}, status_code=~"5.."}[$__range])))`,
          'status_code',
        ),
      )
      .withVariable(
        labelVariable('instance', 'Instance', `instance_route_status:http_requests:rate1m{${SERVICE}}`),
      )
      .withVariable(labelVariable('route', 'Route', `instance_route_status:http_requests:rate1m{${SERVICE}}`))

      .withRow(new RowBuilder('Traffic'))
      .withPanel(
        stat({
          title: 'Instances up',
          description:
            'Targets of the service Prometheus scrapes successfully, or, for a service that pushes by OTLP, its instances that pushed in the last 5 minutes: red at none. Alerts fire for a scraped target that fails and for a pushed service that goes silent (see Firing alerts).',
          unit: 'none',
          width: 4,
          thresholds: [
            { value: null, color: 'red' },
            { value: 1, color: 'green' },
          ],
          queries: [
            {
              expr: `sum(up{${INSTANCE}}) or count(target_info{${INSTANCE}} unless on (job) up)`,
              legend: 'up',
            },
          ],
        }),
      )
      .withPanel(
        stat({
          title: 'Request rate',
          description:
            'Requests per second over the last minute, all selected instances and routes; orange above the HighRequestVolume threshold (20 req/s, which the alert reads over 30s).',
          unit: 'reqps',
          width: 4,
          mirrors: { alert: 'HighRequestVolume', above: [{ value: 20, severity: 'warning' }] },
          queries: [
            { expr: `sum(instance_route_status:http_requests:rate1m{${SELECTED}})`, legend: 'total' },
          ],
        }),
      )
      .withPanel(
        stat({
          title: 'Requests by status code (2m)',
          description:
            'Requests answered in the last 2 minutes, by HTTP status code: 2xx green, 4xx orange, 5xx red.',
          unit: 'short',
          width: 16,
          thresholds: [{ value: null, color: 'text' }],
          queries: [
            {
              expr: `sum by (status_code) (avg_over_time(instance_route_status:http_requests:rate1m{${SELECTED}}[2m])) * 120`,
              legend: '{{status_code}}',
              instant: true,
            },
          ],
        })
          .overrideByRegexp('^2..$', [fixedColour('green')])
          .overrideByRegexp('^4..$', [fixedColour('orange')])
          .overrideByRegexp('^5..$', [fixedColour('red')]),
      )
      .withPanel(
        timeseries({
          title: 'Request rate',
          description: `Requests per second, total (the HighRequestVolume alert fires above 20 req/s over 30s). ${JOB_LEVEL}`,
          unit: 'reqps',
          min: 0,
          mirrors: { alert: 'HighRequestVolume', above: [{ value: 20, severity: 'warning' }] },
          queries: [
            { expr: `sum(instance_route_status:http_requests:rate1m{${SELECTED}})`, legend: 'total (1m)' },
            { expr: `job:http_requests:rate30s{${SERVICE}}`, legend: 'service (30s, alert input)' },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Request rate by route',
          description: 'Requests per second by route template; unmatched paths share "__unmatched__".',
          unit: 'reqps',
          min: 0,
          queries: [
            {
              expr: `sum by (route) (instance_route_status:http_requests:rate1m{${SELECTED}})`,
              legend: '{{route}}',
            },
          ],
        }),
      )

      .withRow(new RowBuilder('Errors'))
      .withPanel(
        timeseries({
          title: 'Errors per second',
          description:
            "5xx answers per second by route, 0 on a route without any (routes that fail by design, like the demo's /error, are listed in recording.yml: job_route:http_failures_expected:info).",
          unit: 'reqps',
          min: 0,
          queries: [
            {
              expr:
                `sum by (route) (instance_route_status:http_requests:rate1m{status_code=~"5..", ${SELECTED}})` +
                ` or sum by (route) (instance_route_status:http_requests:rate1m{${SELECTED}}) * 0`,
              legend: '{{route}}',
            },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Error ratio',
          description: `Share of 5xx. "working routes" leaves out the routes that fail by design and is what HighErrorRatio reads (fires above 5%). ${JOB_LEVEL}`,
          unit: 'percentunit',
          min: 0,
          max: 1,
          mirrors: { alert: 'HighErrorRatio', above: [{ value: 0.05, severity: 'critical' }] },
          queries: [
            {
              expr: `job:http_request_failures_per_requests:ratio_rate1m{${SERVICE}}`,
              legend: 'service, working routes',
            },
            {
              expr: `job_route:http_request_failures_per_requests:ratio_rate1m{${SERVICE}, route=~"$route"}`,
              legend: 'service, {{route}}',
            },
          ],
        }),
      )

      .withRow(new RowBuilder('Latency'))
      .withPanel(latencyQuantile(0.5))
      .withPanel(latencyQuantile(0.95))
      .withPanel(latencyQuantile(0.99))
      .withPanel(
        timeseries({
          title: 'p95 latency, whole service (alert input)',
          description: `The 5-minute p95 HighLatencyP95 reads: warning above 250 ms, critical above 500 ms. ${JOB_LEVEL}`,
          unit: 's',
          min: 0,
          mirrors: {
            alert: 'HighLatencyP95',
            above: [
              { value: 0.25, severity: 'warning' },
              { value: 0.5, severity: 'critical' },
            ],
          },
          queries: [
            { expr: `job:http_request_duration_seconds:p95_rate5m{${SERVICE}}`, legend: 'service p95 (5m)' },
            // From the raw histogram, whose buckets carry exemplars (recorded series have none), in
            // either convention: each dot is one request, at its duration, and opens its trace.
            {
              expr:
                `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SERVICE}}[$__rate_interval])` +
                ` or rate(http_server_request_duration_seconds_bucket{${SERVICE}}[$__rate_interval])))`,
              legend: 'p95 with exemplars (traced requests)',
              exemplar: true,
            },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Average response time by route',
          description: 'Mean request duration by route.',
          unit: 's',
          min: 0,
          queries: [
            {
              expr:
                `sum by (route) (instance_route:http_request_duration_seconds_sum:rate1m{${SELECTED}})` +
                ` / sum by (route) (instance_route_status:http_requests:rate1m{${SELECTED}})`,
              legend: '{{route}}',
            },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Share of requests under 250 ms by route',
          description: 'Requests answered within 250 ms (the latency warning threshold), by route.',
          unit: 'percentunit',
          min: 0,
          max: 1,
          queries: [
            {
              expr:
                `sum by (route) (instance_route_le:http_request_duration_seconds_bucket:rate1m{le="0.25", ${SELECTED}})` +
                ` / sum by (route) (instance_route_le:http_request_duration_seconds_bucket:rate1m{le="+Inf", ${SELECTED}})`,
              legend: '{{route}}',
            },
          ],
        }),
      )

      .withRow(new RowBuilder('Traces and logs'))
      .withPanel(
        tracesTable({
          title: 'Slow requests: traces over 500 ms',
          description:
            'The newest traces of the service whose requests took longer than the latency SLO allows (500 ms), from Jaeger: a row opens the trace, and its spans link to their log lines.',
          service: '$service',
          minDuration: '500ms',
          width: 8,
        }),
      )
      .withPanel(
        tracesTable({
          title: 'Failed requests: traces of the commonest 5xx',
          description:
            "The newest traces of the service's requests that answered its commonest 5xx status code over the dashboard's range, found by the server span's http.response.status_code (as HighErrorRatio's email links them). Empty while nothing failed.",
          service: '$service',
          tags: 'http.response.status_code=$failed_status',
          width: 8,
        }),
      )
      .withPanel(
        logsPanel({
          title: 'Warnings and errors',
          description:
            "The service's warn and error log lines, from VictoriaLogs; a line's trace_id opens its trace in Jaeger.",
          expr: `"service.name":="$service" severity_text:in(warn, error)`,
          width: 8,
        }),
      )

      .withRow(new RowBuilder('Process'))
      .withPanel(
        timeseries({
          title: 'CPU',
          description: 'Share of one core each process of the service uses (HighCPU fires above 80%).',
          unit: 'percentunit',
          min: 0,
          width: 8,
          mirrors: { alert: 'HighCPU', above: [{ value: 0.8, severity: 'warning' }] },
          queries: [{ expr: `instance:process_cpu_seconds:rate1m{${INSTANCE}}`, legend: '{{instance}}' }],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Memory',
          description:
            "Resident set size and V8 heap used, with the limits the process reports: V8's heap limit and its container's memory limit (the next two panels hold each to its alert).",
          unit: 'bytes',
          min: 0,
          width: 8,
          queries: [
            { expr: `instance:process_resident_memory_bytes:max{${INSTANCE}}`, legend: 'RSS {{instance}}' },
            { expr: `instance:nodejs_heap_used_bytes:sum{${INSTANCE}}`, legend: 'heap used {{instance}}' },
            {
              expr: `instance:nodejs_heap_size_limit_bytes:max{${INSTANCE}}`,
              legend: 'heap limit {{instance}}',
            },
            {
              expr: `instance:process_memory_limit_bytes:max{${INSTANCE}}`,
              legend: 'memory limit {{instance}}',
            },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Event-loop lag',
          description:
            'How late timers run (p99): JavaScript holding the one thread, while every other request waits (EventLoopBlocked fires above 100 ms).',
          unit: 's',
          min: 0,
          width: 8,
          mirrors: { alert: 'EventLoopBlocked', above: [{ value: 0.1, severity: 'warning' }] },
          queries: [
            {
              expr: `instance:nodejs_eventloop_delay_p99_seconds:max{${INSTANCE}}`,
              legend: 'p99 {{instance}}',
            },
          ],
        }),
      )

      .withPanel(
        timeseries({
          title: 'Heap of its limit',
          description:
            'V8 heap used over its limit, as each process reports it (HeapNearLimit fires above 70%; from 80% V8 may end the process when collecting frees nothing).',
          unit: 'percentunit',
          min: 0,
          width: 12,
          mirrors: { alert: 'HeapNearLimit', above: [{ value: 0.7, severity: 'critical' }] },
          queries: [
            { expr: `instance:nodejs_heap_used_per_limit:ratio{${INSTANCE}}`, legend: '{{instance}}' },
          ],
        }),
      )
      .withPanel(
        timeseries({
          title: 'Resident memory of its limit',
          description:
            "Resident memory over the limit the process's container sets, where the process reports one (HighMemory fires above 90%; at 100% the container is killed).",
          unit: 'percentunit',
          min: 0,
          width: 12,
          mirrors: { alert: 'HighMemory', above: [{ value: 0.9, severity: 'warning' }] },
          queries: [
            { expr: `instance:process_resident_memory_per_limit:ratio{${INSTANCE}}`, legend: '{{instance}}' },
          ],
        }),
      )

      .withRow(new RowBuilder('Alerts'))
      .withPanel(
        table({
          title: 'Firing alerts',
          description:
            'Alerts firing now, on every service and instance: the Instance filter does not apply here. Watchdog always fires: it proves the alerting pipeline.',
          unit: 'none',
          width: 24,
          queries: [
            { expr: 'sum by (alertname, job, severity) (ALERTS{alertstate="firing"})', instant: true },
          ],
        }),
      )
      .build()
  );
}

function latencyQuantile(quantile: number) {
  const name = `p${Math.round(quantile * 100)}`;
  return timeseries({
    title: `${name} latency by route`,
    description: `The ${name} of request duration over 1 minute, by route.`,
    unit: 's',
    min: 0,
    width: 8,
    queries: [
      {
        expr: `histogram_quantile(${quantile}, sum by (route, le) (instance_route_le:http_request_duration_seconds_bucket:rate1m{${SELECTED}}))`,
        legend: '{{route}}',
      },
    ],
  });
}

function fixedColour(colour: string) {
  return { id: 'color', value: { mode: 'fixed', fixedColor: colour } };
}
