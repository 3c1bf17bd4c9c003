import type { GeneratorOptions } from './options.ts';
import type { Progress, RunResult } from './runner.ts';
import { failures, type Tally } from './stats.ts';
import { TRAFFIC_ROUTES } from './traffic.ts';

export const EXIT = { ok: 0, internal: 1, usage: 2, failures: 3, unreachable: 4 } as const;

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)}ms`;

function mix(tally: Tally): string {
  const { statusClasses: s } = tally;
  return `2xx=${s['2xx']} 4xx=${s['4xx']} 5xx=${s['5xx']} (unexpected ${tally.unexpected5xx}) refused=${tally.refused} failed=${tally.timeout + tally.reset + tally.error} skipped=${tally.skipped}`;
}

/** One line per report: what was sent in the window, at what rate, how it ended and how fast. */
export function formatProgress(progress: Progress): string {
  const { window } = progress;
  const rate = progress.windowSeconds > 0 ? window.sent / progress.windowSeconds : 0;
  return (
    `[${progress.elapsedSeconds.toFixed(0).padStart(5)}s] ${progress.phase.name} ` +
    `sent=${window.sent} rate=${rate.toFixed(1)}/s (target ${progress.phase.rate}/s) ${mix(window)} ` +
    `p50=${ms(window.latency.quantile(0.5))} p99=${ms(window.latency.quantile(0.99))} in-flight=${progress.inFlight}`
  );
}

export interface Summary {
  scenario: string;
  target: string;
  elapsedSeconds: number;
  sent: number;
  skipped: number;
  achievedRate: number;
  targetRate: number;
  statusClasses: Tally['statusClasses'];
  expected5xx: number;
  unexpected5xx: number;
  refused: number;
  retried: number;
  failed: { timeout: number; reset: number; error: number };
  abandoned: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The generator's own CPU time (user + system) for the run, and per 1,000 requests sent. */
  cpu: { totalMs: number; msPer1000Requests: number };
  byRoute: Record<string, { sent: number; statuses: Record<string, number> }>;
  exitCode: number;
}

export function summarise(options: GeneratorOptions, result: RunResult, cpuMicros: number): Summary {
  const { total } = result;
  const answeredCount = total.latency.count;
  let exitCode: number = EXIT.ok;
  if (total.sent > 0 && answeredCount === 0) exitCode = EXIT.unreachable;
  else if (failures(total) + result.abandoned > 0) exitCode = EXIT.failures;
  return {
    scenario: options.scenario,
    target: options.target.href,
    elapsedSeconds: Math.round(result.elapsedSeconds * 1000) / 1000,
    sent: total.sent,
    skipped: total.skipped,
    achievedRate: result.elapsedSeconds > 0 ? total.sent / result.elapsedSeconds : 0,
    targetRate: result.targetRate,
    statusClasses: total.statusClasses,
    expected5xx: total.expected5xx,
    unexpected5xx: total.unexpected5xx,
    refused: total.refused,
    retried: total.retried,
    failed: { timeout: total.timeout, reset: total.reset, error: total.error },
    abandoned: result.abandoned,
    latencyMs: {
      p50: total.latency.quantile(0.5),
      p90: total.latency.quantile(0.9),
      p99: total.latency.quantile(0.99),
      max: total.latency.maxMs,
    },
    cpu: {
      totalMs: Math.round(cpuMicros) / 1000,
      // Microseconds per request are milliseconds per 1,000 requests.
      msPer1000Requests: total.sent > 0 ? Math.round((cpuMicros / total.sent) * 10) / 10 : 0,
    },
    byRoute: Object.fromEntries(
      TRAFFIC_ROUTES.filter((route) => total.byRoute[route].sent > 0).map((route) => [
        route,
        total.byRoute[route],
      ]),
    ),
    exitCode,
  };
}

export function formatSummary(summary: Summary): string {
  const lines = [
    `summary: ${summary.scenario} against ${summary.target} for ${summary.elapsedSeconds.toFixed(1)}s`,
    `  sent ${summary.sent} at ${summary.achievedRate.toFixed(2)}/s (target ${summary.targetRate.toFixed(2)}/s), skipped ${summary.skipped} at the in-flight limit`,
    `  answers: 2xx=${summary.statusClasses['2xx']} 3xx=${summary.statusClasses['3xx']} 4xx=${summary.statusClasses['4xx']} 5xx=${summary.statusClasses['5xx']} (${summary.expected5xx} asked for, ${summary.unexpected5xx} unexpected)`,
    `  not answered: refused=${summary.refused} timeout=${summary.failed.timeout} reset=${summary.failed.reset} error=${summary.failed.error} abandoned=${summary.abandoned}`,
    `  retried once after the connection closed before an answer: ${summary.retried}`,
    `  latency from intended send: p50=${ms(summary.latencyMs.p50)} p90=${ms(summary.latencyMs.p90)} p99=${ms(summary.latencyMs.p99)} max=${ms(summary.latencyMs.max)}`,
    `  generator CPU: ${summary.cpu.msPer1000Requests.toFixed(1)} ms per 1,000 requests (${(summary.cpu.totalMs / 1000).toFixed(2)} s in all)`,
    '  route        sent  statuses',
    ...Object.entries(summary.byRoute).map(
      ([route, tally]) =>
        `  ${route.padEnd(11)} ${String(tally.sent).padStart(5)}  ${Object.entries(tally.statuses)
          .map(([status, count]) => `${status}=${count}`)
          .join(' ')}`,
    ),
    `  exit ${summary.exitCode}`,
  ];
  return lines.join('\n');
}
