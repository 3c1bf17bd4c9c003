import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard, firingAlertsAnnotation, labelVariable, timeseries } from './common.ts';

export const K6_DASHBOARD_UID = 'fos-k6';

/** k6 results (remote-written to Prometheus) beside the webapp's own view of the same load. */
export function k6Dashboard(): Dashboard {
  return baseDashboard({
    title: 'k6 load tests',
    uid: K6_DASHBOARD_UID,
    description: 'k6 results pushed by remote write, next to what the webapp itself measured.',
    tags: ['k6'],
  })
    .annotation(firingAlertsAnnotation())
    .withVariable(labelVariable('route', 'Route', 'k6_http_reqs_total'))

    .withRow(new RowBuilder('k6: what the load test saw'))
    .withPanel(
      timeseries({
        title: 'k6 request rate by route',
        description: 'Requests k6 sent per second.',
        unit: 'reqps',
        min: 0,
        queries: [
          {
            expr: 'sum by (route) (rate(k6_http_reqs_total{route=~"$route"}[$__rate_interval]))',
            legend: '{{route}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'k6 virtual users',
        description: 'VUs busy and allocated: an open-model test adds VUs when the service slows down.',
        unit: 'short',
        min: 0,
        queries: [
          { expr: 'sum(k6_vus)', legend: 'active' },
          { expr: 'sum(k6_vus_max)', legend: 'allocated' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'k6 latency percentiles by route',
        description: 'p50, p95 and p99 of http_req_duration as k6 measured it.',
        unit: 's',
        min: 0,
        queries: [
          { expr: 'max by (route) (k6_http_req_duration_p50{route=~"$route"})', legend: 'p50 {{route}}' },
          { expr: 'max by (route) (k6_http_req_duration_p95{route=~"$route"})', legend: 'p95 {{route}}' },
          { expr: 'max by (route) (k6_http_req_duration_p99{route=~"$route"})', legend: 'p99 {{route}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'k6 failures',
        description:
          "Share of failed requests (/error's expected 500 is not a failure) and of failed checks.",
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          { expr: 'max(k6_http_req_failed_rate)', legend: 'http_req_failed' },
          { expr: '1 - min(k6_checks_rate)', legend: 'checks failed' },
        ],
      }),
    )

    .withRow(new RowBuilder('webapp: what the service saw'))
    .withPanel(
      timeseries({
        title: 'webapp request rate by route',
        description: "The webapp's own count of the same traffic (plus the generator's).",
        unit: 'reqps',
        min: 0,
        queries: [{ expr: 'job_route:http_requests:rate1m', legend: '{{route}}' }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'webapp p95 latency by route',
        description: 'The p95 the webapp measured: compare with k6 to see time spent outside the handler.',
        unit: 's',
        min: 0,
        queries: [{ expr: 'job_route:http_request_duration_seconds:p95_rate1m', legend: '{{route}}' }],
      }),
    )
    .build();
}
