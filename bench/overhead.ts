import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { median, table } from './lib/table.ts';
import { startBenchWebapp } from './lib/webapp-process.ts';

export interface OverheadOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The fastest route that is measured: /counter answers from memory, with no simulated delay. */
  path: string;
}

export interface VariantRun {
  variant: string;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The server process's CPU time per request (user + system), from /proc: steadier than req/s. */
  cpuMicrosPerRequest: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  runs: VariantRun[];
  summary: { variant: string; medianRps: number; medianP99Ms: number; medianCpuMicros: number }[];
  throughputRatio: number;
  p99Ratio: number;
  cpuRatio: number;
}

const VARIANTS = [
  { name: 'bare', env: { METRICS_ENABLED: 'false' } },
  { name: 'instrumented', env: { METRICS_ENABLED: 'true' } },
] as const;

/** utime + stime of a process in microseconds (Linux /proc; 0 elsewhere). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100);
  } catch {
    return 0;
  }
}

async function load(url: string, seconds: number, connections: number) {
  return autocannon({ url, connections, duration: seconds, pipelining: 1 });
}

/**
 * The same webapp with request metrics on and off, side by side: each round starts both fresh and
 * loads them one after the other (the order alternating), after a warm-up, so drift on a noisy
 * machine hits both variants alike. Medians of the rounds are compared.
 */
export async function measureOverhead(options: OverheadOptions, log: (line: string) => void = () => {}) {
  const runs: VariantRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
    for (const variant of order) {
      const webapp = await startBenchWebapp(variant.env);
      try {
        const url = `${webapp.url}${options.path}`;
        if (options.warmupSeconds > 0) await load(url, options.warmupSeconds, options.connections);
        const pid = webapp.process?.child.pid;
        const cpuBefore = cpuMicros(pid);
        const result = await load(url, options.durationSeconds, options.connections);
        const cpuUsed = cpuMicros(pid) - cpuBefore;
        const run: VariantRun = {
          variant: variant.name,
          round,
          requestsPerSecond: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.non2xx,
          cpuMicrosPerRequest: cpuUsed / Math.max(result.requests.total, 1),
        };
        runs.push(run);
        log(
          `round ${round} ${variant.name.padEnd(12)} ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms} ms, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/request`,
        );
      } finally {
        await webapp.process?.stop();
      }
    }
  }
  const summary = VARIANTS.map((variant) => {
    const own = runs.filter((r) => r.variant === variant.name);
    return {
      variant: variant.name,
      medianRps: median(own.map((r) => r.requestsPerSecond)),
      medianP99Ms: median(own.map((r) => r.p99Ms)),
      medianCpuMicros: median(own.map((r) => r.cpuMicrosPerRequest)),
    };
  });
  const [bare, instrumented] = summary as [(typeof summary)[0], (typeof summary)[0]];
  return {
    options,
    runs,
    summary,
    throughputRatio: instrumented.medianRps / bare.medianRps,
    p99Ratio: instrumented.medianP99Ms / Math.max(bare.medianP99Ms, 0.001),
    cpuRatio: instrumented.medianCpuMicros / Math.max(bare.medianCpuMicros, 0.001),
  } satisfies OverheadResult;
}

export function formatOverhead(result: OverheadResult): string {
  const rows: (string | number)[][] = [
    ['variant', 'req/s (median)', 'p99 ms (median)', 'CPU µs/request', 'req/s per run'],
  ];
  for (const row of result.summary) {
    rows.push([
      row.variant,
      row.medianRps.toFixed(0),
      row.medianP99Ms.toFixed(2),
      row.medianCpuMicros.toFixed(1),
      result.runs
        .filter((r) => r.variant === row.variant)
        .map((r) => r.requestsPerSecond.toFixed(0))
        .join(' '),
    ]);
  }
  return [
    `Request-metrics overhead on GET ${result.options.path}: ${result.options.rounds} rounds of ${result.options.durationSeconds} s, ${result.options.connections} connections, warm-up ${result.options.warmupSeconds} s`,
    table(rows),
    `CPU per request instrumented/bare: ${result.cpuRatio.toFixed(2)}`,
    `p99 instrumented/bare: ${result.p99Ratio.toFixed(2)} (target <= 1.20; throughput target >= 0.90)`,
    `ratio instrumented/bare: ${result.throughputRatio.toFixed(2)}`,
  ].join('\n');
}
