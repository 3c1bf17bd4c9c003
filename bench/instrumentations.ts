import { join } from 'node:path';
import { freePort, RestartableProcess } from '@fos/stack/process';
import { measureLoad } from './lib/load.ts';
import { median, table } from './lib/table.ts';
import { VARIANTS, type Variant } from './lib/variants.ts';
import { serverLauncher } from './lib/webapp-process.ts';
import { type PairedRatio, pairedRatio, type VariantRun } from './overhead.ts';

const LIB = new URL('./lib/', import.meta.url).pathname;

export interface InstrumentationOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface InstrumentationRun {
  variant: Variant;
  round: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuMicrosPerRequest: number;
}

function server(variant: Variant, port: number): RestartableProcess {
  const [command, ...args] = [
    ...serverLauncher(),
    process.execPath,
    ...(variant === 'otel' ? ['--import', join(LIB, 'otel-setup.ts')] : []),
    join(LIB, 'instrumented-server.ts'),
  ];
  return new RestartableProcess(variant, command as string, args, `http://127.0.0.1:${port}/ready`, {
    PATH: process.env.PATH,
    PORT: String(port),
    BENCH_VARIANT: variant,
  });
}

/**
 * The same one-route app, bare and instrumented three ways, on GET /orders/:id. Every round starts
 * each variant fresh in the rotating order, and each ratio is the median of the rounds' own ratios
 * to bare, so the machine's drift cancels (as in overhead.ts).
 */
export async function measureInstrumentations(
  options: InstrumentationOptions,
  log: (line: string) => void = () => {},
) {
  const runs: InstrumentationRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length] as Variant);
    for (const variant of order) {
      const port = await freePort();
      const process_ = server(variant, port);
      await process_.start(20_000);
      try {
        const measured = await measureLoad(
          `http://127.0.0.1:${port}/orders/42`,
          process_.process?.child.pid,
          options,
        );
        const run: InstrumentationRun = { variant, round, ...measured };
        runs.push(run);
        log(
          `round ${round}/${options.rounds} ${variant.padEnd(16)} ${run.requestsPerSecond.toFixed(0)} req/s`,
        );
      } finally {
        await process_.stop();
      }
    }
  }
  const ratios = VARIANTS.filter((v) => v !== 'bare').map((variant) => pairedRatio(runs, variant));
  return { options, runs, ratios };
}

/** A variant's medians and its throughput against the baseline (quartiles of the rounds), as the tables show them. */
export function variantRow(
  variant: string,
  runs: readonly InstrumentationRun[] | readonly VariantRun[],
  ratio: PairedRatio | undefined,
): string[] {
  const own = (runs as readonly VariantRun[]).filter((r) => r.variant === variant);
  return [
    variant,
    median(own.map((r) => r.requestsPerSecond)).toFixed(0),
    median(own.map((r) => r.p99Ms)).toFixed(1),
    median(own.map((r) => r.cpuMicrosPerRequest)).toFixed(1),
    ratio
      ? `${ratio.throughput.toFixed(3)} (${ratio.throughputLow.toFixed(3)}–${ratio.throughputHigh.toFixed(3)})`
      : '1',
  ];
}

export function formatInstrumentations(result: Awaited<ReturnType<typeof measureInstrumentations>>): string {
  const { options } = result;
  const rows = VARIANTS.map((variant) => {
    const ratio = result.ratios.find((r) => r.variant === variant);
    return [...variantRow(variant, result.runs, ratio), ratio ? ratio.cpu.toFixed(3) : '1'];
  });
  return [
    `GET /orders/:id, one route, ${options.rounds} rounds of ${options.durationSeconds} s per variant, ${options.connections} connections, side by side:`,
    table([
      [
        'variant',
        'req/s (median)',
        'p99 ms',
        'CPU µs/request',
        'throughput / bare (quartiles)',
        'CPU / bare',
      ],
      ...rows,
    ]),
  ].join('\n');
}
