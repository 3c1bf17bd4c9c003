import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard, firingAlertsAnnotation, labelVariable, stat, table, timeseries } from './common.ts';

export const WEBAPP_DASHBOARD_UID = 'fos-webapp';

/** Label filters every webapp panel applies, from the instance and route variables. */
const SELECTED = 'instance=~"$instance", route=~"$route"';

/** Said by every panel that shows a series the rules aggregate over all instances. */
const JOB_LEVEL =
  'Series marked "service" are for the whole job: the Instance filter does not apply to them.';

const MIB = 1024 * 1024;

/** The main dashboard: traffic, errors, latency, the process, alerts and the counter. */
export function webappDashboard(): Dashboard {
  return baseDashboard({
    title: 'Webapp overview',
    uid: WEBAPP_DASHBOARD_UID,
    description: 'Fastify webapp: RED metrics by route, latency percentiles, process health and alerts.',
    tags: ['webapp'],
  })
    .annotation(firingAlertsAnnotation())
    .withVariable(labelVariable('instance', 'Instance', 'up{job="webapp"}'))
    .withVariable(labelVariable('route', 'Route', 'instance_route_status:http_requests:rate1m'))

    .withRow(new RowBuilder('Traffic'))
    .withPanel(
      stat({
        title: 'Instances up',
        description:
          'Webapp targets Prometheus scrapes successfully: red at none. InstanceDown fires for each target that fails its scrape (see Firing alerts).',
        unit: 'none',
        width: 4,
        thresholds: [
          { value: null, color: 'red' },
          { value: 1, color: 'green' },
        ],
        queries: [{ expr: 'sum(up{job="webapp", instance=~"$instance"})', legend: 'up' }],
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
        queries: [{ expr: `sum(instance_route_status:http_requests:rate1m{${SELECTED}})`, legend: 'total' }],
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
            expr: `sum by (status_code) (increase(http_request_duration_seconds_count{job="webapp", ${SELECTED}}[2m]))`,
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
          { expr: 'job:http_requests:rate30s', legend: 'service (30s, alert input)' },
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
        description: '5xx answers per second by route (/error fails by design).',
        unit: 'reqps',
        min: 0,
        queries: [
          {
            expr: `sum by (route) (instance_route_status:http_requests:rate1m{status_code=~"5..", ${SELECTED}})`,
            legend: '{{route}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Error ratio',
        description: `Share of 5xx. "working routes" leaves out /error and is what HighErrorRatio reads (fires above 5%). ${JOB_LEVEL}`,
        unit: 'percentunit',
        min: 0,
        max: 1,
        mirrors: { alert: 'HighErrorRatio', above: [{ value: 0.05, severity: 'critical' }] },
        queries: [
          { expr: 'job:http_request_failures_per_requests:ratio_rate1m', legend: 'service, working routes' },
          {
            expr: 'job_route:http_request_failures_per_requests:ratio_rate1m{route=~"$route"}',
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
        queries: [{ expr: 'job:http_request_duration_seconds:p95_rate5m', legend: 'service p95 (5m)' }],
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
              `sum by (route) (rate(http_request_duration_seconds_sum{job="webapp", ${SELECTED}}[$__rate_interval]))` +
              ` / sum by (route) (rate(http_request_duration_seconds_count{job="webapp", ${SELECTED}}[$__rate_interval]))`,
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

    .withRow(new RowBuilder('Process'))
    .withPanel(
      timeseries({
        title: 'CPU',
        description: 'Share of one core each webapp process uses (HighCPU fires above 80%).',
        unit: 'percentunit',
        min: 0,
        width: 8,
        mirrors: { alert: 'HighCPU', above: [{ value: 0.8, severity: 'warning' }] },
        queries: [
          { expr: 'instance:process_cpu_seconds:rate1m{instance=~"$instance"}', legend: '{{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Memory',
        description: 'Resident set size and V8 heap (HighMemory fires above 400 MiB resident).',
        unit: 'bytes',
        min: 0,
        width: 8,
        mirrors: { alert: 'HighMemory', above: [{ value: 400 * MIB, severity: 'warning' }] },
        queries: [
          {
            expr: 'process_resident_memory_bytes{job="webapp", instance=~"$instance"}',
            legend: 'RSS {{instance}}',
          },
          {
            expr: 'nodejs_heap_size_used_bytes{job="webapp", instance=~"$instance"}',
            legend: 'heap used {{instance}}',
          },
          {
            expr: 'nodejs_heap_size_total_bytes{job="webapp", instance=~"$instance"}',
            legend: 'heap total {{instance}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Event-loop lag',
        description: 'How late timers run: high lag means the process cannot keep up.',
        unit: 's',
        min: 0,
        width: 8,
        queries: [
          {
            expr: 'nodejs_eventloop_lag_p99_seconds{job="webapp", instance=~"$instance"}',
            legend: 'p99 {{instance}}',
          },
          {
            expr: 'nodejs_eventloop_lag_mean_seconds{job="webapp", instance=~"$instance"}',
            legend: 'mean {{instance}}',
          },
        ],
      }),
    )

    .withRow(new RowBuilder('Alerts and business metrics'))
    .withPanel(
      table({
        title: 'Firing alerts',
        description:
          'Alerts firing now, on every instance: the Instance filter does not apply here. Watchdog always fires: it proves the alerting pipeline.',
        unit: 'none',
        queries: [{ expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})', instant: true }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Counter',
        description: 'The counter value, and the values at the last checkpoint and restore.',
        unit: 'short',
        queries: [
          { expr: 'app_counter_value{job="webapp", instance=~"$instance"}', legend: 'value {{instance}}' },
          {
            expr: 'app_counter_last_checkpoint_value{job="webapp", instance=~"$instance"}',
            legend: 'last checkpoint {{instance}}',
          },
          {
            expr: 'app_counter_last_restore_value{job="webapp", instance=~"$instance"}',
            legend: 'last restore {{instance}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Checkpoints and restores',
        description: 'Checkpoints and restores per minute, by result.',
        unit: 'cpm',
        min: 0,
        width: 24,
        queries: [
          {
            expr: 'sum by (result) (rate(app_counter_checkpoints_total{job="webapp", instance=~"$instance"}[$__rate_interval])) * 60',
            legend: 'checkpoint {{result}}',
          },
          {
            expr: 'sum by (result) (rate(app_counter_restores_total{job="webapp", instance=~"$instance"}[$__rate_interval])) * 60',
            legend: 'restore {{result}}',
          },
        ],
      }),
    )
    .build();
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
