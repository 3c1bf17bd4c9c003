import { composeServiceEnvironment } from '@fos/stack/compose-file';

// k6 is under the AGPL: this project neither builds nor runs it (users run the official image with
// `make load`). Its dashboard is checked instead against the names k6's remote-write output gives
// its built-in metrics, by the mapping k6's documentation states ("Prometheus remote write",
// Metrics mapping): prefix k6_; a Counter gets _total, a Rate _rate, a Gauge its own name (these
// have no unit suffix), and a Trend one series per stat of K6_PROMETHEUS_RW_TREND_STATS, p(95) as _p95.
const BUILT_IN_METRICS = {
  counter: ['http_reqs', 'iterations', 'dropped_iterations', 'data_sent', 'data_received'],
  rate: ['http_req_failed', 'checks'],
  gauge: ['vus', 'vus_max'],
  trend: [
    'http_req_duration',
    'http_req_blocked',
    'http_req_connecting',
    'http_req_tls_handshaking',
    'http_req_sending',
    'http_req_waiting',
    'http_req_receiving',
    'iteration_duration',
  ],
} as const;

/** `p(95)` → `p95`, `max` → `max`: the suffix a trend stat gets. */
function statSuffix(stat: string): string {
  const percentile = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat.trim());
  if (percentile) return `p${(percentile[1] as string).replace('.', '')}`;
  return stat.trim();
}

/** The trend stats the compose k6 service asks for (k6's default, p(99), when it sets none). */
export function composeTrendStats(): string[] {
  const stats = composeServiceEnvironment('k6', 'K6_PROMETHEUS_RW_TREND_STATS').K6_PROMETHEUS_RW_TREND_STATS;
  return (stats ?? 'p(99)').split(',').filter((stat) => stat.trim() !== '');
}

/** Every series name k6's remote-write output sends for its built-in metrics with these trend stats. */
export function k6SeriesNames(trendStats: readonly string[]): Set<string> {
  return new Set([
    ...BUILT_IN_METRICS.counter.map((name) => `k6_${name}_total`),
    ...BUILT_IN_METRICS.rate.map((name) => `k6_${name}_rate`),
    ...BUILT_IN_METRICS.gauge.map((name) => `k6_${name}`),
    ...BUILT_IN_METRICS.trend.flatMap((name) => trendStats.map((stat) => `k6_${name}_${statSuffix(stat)}`)),
  ]);
}
