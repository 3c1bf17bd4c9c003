// What the profiles cost the webapp, side by side: not installed (no PROFILER_TOKEN_FILE), installed
// and idle, and while a CPU or a sampling heap profile is being taken over the whole measurement.
// Each round starts every variant fresh, in rotating order, and each ratio is the median of the
// rounds' own ratios to "not installed" (as overhead.ts does).
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { variantRow } from './instrumentations.ts';
import { measureLoad } from './lib/load.ts';
import { table } from './lib/table.ts';
import { startBenchWebapp } from './lib/webapp-process.ts';
import { type PairedRatio, pairedRatio, type VariantRun } from './overhead.ts';

export interface ProfilingOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  path: string;
}

const NOT_INSTALLED = 'not installed';
const VARIANTS = [
  { name: NOT_INSTALLED, installed: false, capture: undefined },
  { name: 'installed, idle', installed: true, capture: undefined },
  { name: 'capturing CPU', installed: true, capture: 'cpu' },
  { name: 'capturing heap', installed: true, capture: 'heap' },
  // The baseline again, in its own processes: how far two identical variants differ on this machine.
  { name: 'not installed (control)', installed: false, capture: undefined },
] as const;

export async function measureProfiling(options: ProfilingOptions, log: (line: string) => void = () => {}) {
  const token = `bench-${process.pid}-${Date.now()}-token`;
  const tokenFile = join(tmpdir(), `fos-bench-profiler-token-${process.pid}`);
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const runs: VariantRun[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const order = VARIANTS.map(
        (_, i) => VARIANTS[(i + round - 1) % VARIANTS.length] as (typeof VARIANTS)[number],
      );
      for (const variant of order) {
        const webapp = await startBenchWebapp({ PROFILER_TOKEN_FILE: variant.installed ? tokenFile : '' });
        try {
          // One capture over the warm-up and the measurement, asked for before either begins.
          const seconds = options.warmupSeconds + options.durationSeconds + 1;
          const capture = variant.capture
            ? fetch(`${webapp.url}/debug/profile/${variant.capture}?seconds=${seconds}`, {
                headers: { authorization: `Bearer ${token}` },
              }).then(async (response) => {
                await response.arrayBuffer();
                if (!response.ok) throw new Error(`${variant.name}: the capture answered ${response.status}`);
              })
            : Promise.resolve();
          const measured = await measureLoad(
            `${webapp.url}${options.path}`,
            webapp.process?.child.pid,
            options,
          );
          await capture;
          const run: VariantRun = { variant: variant.name, round, ...measured };
          runs.push(run);
          log(
            `round ${round}/${options.rounds} ${variant.name.padEnd(24)} ${run.requestsPerSecond.toFixed(0)} req/s, p99 ${run.p99Ms} ms, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/request`,
          );
        } finally {
          await webapp.stop();
        }
      }
    }
  } finally {
    await rm(tokenFile, { force: true });
  }
  const ratios: PairedRatio[] = VARIANTS.slice(1).map((v) => pairedRatio(runs, v.name, NOT_INSTALLED));
  return { options, runs, ratios };
}

export function formatProfiling(result: Awaited<ReturnType<typeof measureProfiling>>): string {
  const { options } = result;
  const rows = VARIANTS.map((variant) => {
    const ratio = result.ratios.find((r) => r.variant === variant.name);
    return [...variantRow(variant.name, result.runs, ratio), ratio ? ratio.p99.toFixed(2) : '1'];
  });
  return [
    `the webapp's GET ${options.path}, ${options.rounds} rounds of ${options.durationSeconds} s per variant, ${options.connections} connections, side by side:`,
    table([
      [
        'profiler',
        'req/s (median)',
        'p99 ms',
        'CPU µs/request',
        'throughput / not installed (quartiles)',
        'p99 / not installed',
      ],
      ...rows,
    ]),
  ].join('\n');
}
