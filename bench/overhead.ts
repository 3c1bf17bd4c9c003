import { measureLoad } from './lib/load.ts';
import { median, quantile, table } from './lib/table.ts';
import { startBenchWebapp } from './lib/webapp-process.ts';

export interface OverheadOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The fastest route that is measured: /counter answers from memory, with no simulated delay. */
  path: string;
  /**
   * Also run metrics-off a second time as if it were another variant. Its ratio to `bare` is what
   * the machine's noise alone gives, the yardstick for the instrumented ratio.
   */
  control: boolean;
}

export interface VariantRun {
  variant: string;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The server process's CPU time per request (user + system), from /proc. */
  cpuMicrosPerRequest: number;
}

/** One variant against `bare`, from the ratios of the rounds (each round's two runs side by side). */
export interface PairedRatio {
  variant: string;
  /** Median over rounds of this variant's req/s divided by bare's in the same round. */
  throughput: number;
  throughputLow: number;
  throughputHigh: number;
  p99: number;
  cpu: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  runs: VariantRun[];
  summary: { variant: string; medianRps: number; medianP99Ms: number; medianCpuMicros: number }[];
  ratios: PairedRatio[];
  /** The instrumented ratios, which the targets are about. */
  throughputRatio: number;
  p99Ratio: number;
  cpuRatio: number;
}

const BARE = { name: 'bare', env: { METRICS_ENABLED: 'false' } };
const INSTRUMENTED = { name: 'instrumented', env: { METRICS_ENABLED: 'true' } };
const CONTROL = { name: 'bare again', env: { METRICS_ENABLED: 'false' } };

/**
 * The same webapp with request metrics on and off, side by side. On this kind of VM one process can
 * run 10% faster than an identical one for its whole life, so each round starts every variant fresh
 * (after a warm-up, loaded one after the other, the order rotating), and the comparison is the median
 * over rounds of each round's own ratio: drift between rounds cancels, and many processes average out.
 */
export async function measureOverhead(
  options: OverheadOptions,
  log: (line: string) => void = () => {},
  /** The webapp's settings to compare, `bare` first (default: request metrics on and off). */
  variantsToCompare?: readonly { name: string; env: Record<string, string> }[],
) {
  const variants =
    variantsToCompare ?? (options.control ? [BARE, INSTRUMENTED, CONTROL] : [BARE, INSTRUMENTED]);
  const runs: VariantRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round - 1) % variants.length] as typeof BARE);
    for (const variant of order) {
      const webapp = await startBenchWebapp(variant.env);
      try {
        const measured = await measureLoad(
          `${webapp.url}${options.path}`,
          webapp.process?.child.pid,
          options,
        );
        const run: VariantRun = { variant: variant.name, round, ...measured };
        runs.push(run);
        log(
          `round ${round}/${options.rounds} ${variant.name.padEnd(12)} ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms} ms, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/request`,
        );
      } finally {
        await webapp.stop();
      }
    }
  }
  const summary = variants.map((variant) => {
    const own = runs.filter((r) => r.variant === variant.name);
    return {
      variant: variant.name,
      medianRps: median(own.map((r) => r.requestsPerSecond)),
      medianP99Ms: median(own.map((r) => r.p99Ms)),
      medianCpuMicros: median(own.map((r) => r.cpuMicrosPerRequest)),
    };
  });
  const ratios = variants.slice(1).map((variant) => pairedRatio(runs, variant.name));
  const instrumented = ratios[0] as PairedRatio;
  return {
    options,
    runs,
    summary,
    ratios,
    throughputRatio: instrumented.throughput,
    p99Ratio: instrumented.p99,
    cpuRatio: instrumented.cpu,
  } satisfies OverheadResult;
}

/** A variant's ratios to `bare`, from each round's own pair of runs (also bench/instrumentations.ts). */
export function pairedRatio(
  runs: readonly Pick<
    VariantRun,
    'variant' | 'round' | 'requestsPerSecond' | 'p99Ms' | 'cpuMicrosPerRequest'
  >[],
  variant: string,
  bare = BARE.name,
): PairedRatio {
  const pairs = runs
    .filter((run) => run.variant === variant)
    .map(
      (run) => [run, runs.find((r) => r.variant === bare && r.round === run.round) as VariantRun] as const,
    );
  const throughputs = pairs.map(([run, bare]) => run.requestsPerSecond / bare.requestsPerSecond);
  return {
    variant,
    throughput: median(throughputs),
    throughputLow: quantile(throughputs, 0.25),
    throughputHigh: quantile(throughputs, 0.75),
    p99: median(pairs.map(([run, bare]) => run.p99Ms / Math.max(bare.p99Ms, 0.001))),
    cpu: median(
      pairs.map(([run, bare]) => run.cpuMicrosPerRequest / Math.max(bare.cpuMicrosPerRequest, 0.001)),
    ),
  };
}

/** Each variant against bare, as the medians of the rounds' own ratios. */
export function pairedRatiosTable(result: OverheadResult): string {
  return table([
    ['vs bare, per round', 'throughput (median)', 'middle half of rounds', 'p99', 'CPU per request'],
    ...result.ratios.map((r) => [
      r.variant,
      r.throughput.toFixed(2),
      `${r.throughputLow.toFixed(2)}..${r.throughputHigh.toFixed(2)}`,
      r.p99.toFixed(2),
      r.cpu.toFixed(2),
    ]),
  ]);
}

export function formatOverhead(result: OverheadResult): string {
  const { options } = result;
  const perVariant = table([
    ['variant', 'req/s (median)', 'p99 ms (median)', 'CPU µs/request', 'req/s per round'],
    ...result.summary.map((row) => [
      row.variant,
      row.medianRps.toFixed(0),
      row.medianP99Ms.toFixed(2),
      row.medianCpuMicros.toFixed(1),
      result.runs
        .filter((r) => r.variant === row.variant)
        .map((r) => r.requestsPerSecond.toFixed(0))
        .join(' '),
    ]),
  ]);
  const paired = pairedRatiosTable(result);
  return [
    `Request-metrics overhead on GET ${options.path}: ${options.rounds} rounds of ${options.durationSeconds} s, ${options.connections} connections, warm-up ${options.warmupSeconds} s${options.control ? ', with a metrics-off control' : ''}`,
    perVariant,
    '',
    paired,
    `p99 instrumented/bare: ${result.p99Ratio.toFixed(2)} (target <= 1.20; throughput target >= 0.90)`,
    `ratio instrumented/bare: ${result.throughputRatio.toFixed(2)}`,
  ].join('\n');
}
