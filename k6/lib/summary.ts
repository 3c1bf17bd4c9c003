// A readable end-of-test summary (k6's own is kept too): requests, failures, p95 by route, thresholds.
interface TrendValues {
  'p(95)'?: number;
  'p(90)'?: number;
  avg?: number;
  max?: number;
}
interface Metric {
  type: string;
  values: Record<string, number> & TrendValues;
  thresholds?: Record<string, { ok: boolean }>;
}
interface SummaryData {
  metrics: Record<string, Metric>;
  state: { testRunDurationMs: number };
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms.toFixed(1)}ms`;
}

export function readableSummary(name: string, data: SummaryData): string {
  const metrics = data.metrics;
  const lines = [
    '',
    `${name}: ${((data.state.testRunDurationMs ?? 0) / 1000).toFixed(1)}s`,
    `  requests     ${metrics.http_reqs?.values.count ?? 0} (${(metrics.http_reqs?.values.rate ?? 0).toFixed(1)}/s)`,
    `  failed       ${(((metrics.http_req_failed?.values.rate ?? 0) as number) * 100).toFixed(2)}% (excluding /error's expected 500)`,
    `  checks       ${(((metrics.checks?.values.rate ?? 0) as number) * 100).toFixed(2)}% passed`,
    `  latency      p95 ${fmt(metrics.http_req_duration?.values['p(95)'])}, max ${fmt(metrics.http_req_duration?.values.max)}`,
    '  by route     p95',
  ];
  for (const [key, metric] of Object.entries(metrics)) {
    const match = /^http_req_duration\{route:(.+)\}$/.exec(key);
    if (match) lines.push(`    ${(match[1] as string).padEnd(10)} ${fmt(metric.values['p(95)'])}`);
  }
  lines.push('  thresholds');
  for (const [key, metric] of Object.entries(metrics)) {
    for (const [threshold, result] of Object.entries(metric.thresholds ?? {})) {
      lines.push(`    ${result.ok ? 'pass' : 'FAIL'}  ${key} ${threshold}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** handleSummary for every script: the readable summary on stdout, the full data as JSON if asked. */
export function summaryHandler(name: string) {
  return (data: SummaryData): Record<string, string> => {
    const outputs: Record<string, string> = { stdout: readableSummary(name, data) };
    if (__ENV.SUMMARY_JSON) outputs[__ENV.SUMMARY_JSON] = JSON.stringify(data);
    return outputs;
  };
}
