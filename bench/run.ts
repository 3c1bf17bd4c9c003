// `make bench` (everything) and `make bench-quick` (a short overhead comparison). Prints tables and
// writes bench/results/<date>.json. Run with --expose-gc so the memory figures are after a GC.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { repoPath } from '@fos/repo/paths';
import { formatCpuShare, measureMetricsCpuShare } from './cpu-profile.ts';
import { measureGeneratorRates } from './generator-rate.ts';
import { formatInstrumentations, measureInstrumentations } from './instrumentations.ts';
import { table } from './lib/table.ts';
import { measureMetricsRender } from './metrics-render.ts';
import { formatOverhead, measureOverhead } from './overhead.ts';
import { formatProfiling, measureProfiling } from './profiling.ts';
import { formatTracing, measureTracing } from './traces.ts';

const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const outFile =
  outIndex > 0
    ? (process.argv[outIndex + 1] as string)
    : repoPath(`bench/results/${new Date().toISOString().slice(0, 10)}.json`);
const log = (line: string) => process.stdout.write(`${line}\n`);

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
log(`machine: ${machine}`);
const results: Record<string, unknown> = { date: new Date().toISOString(), machine, quick };

if (!quick) {
  const render = await measureMetricsRender(500, 10_000);
  results.metricsRender = render;
  log('');
  log(`/metrics render (in-process, ${render.renders} renders):`);
  log(
    table([
      ['series', 'median ms', 'p95 ms', 'p99 ms', 'target'],
      [render.series, render.medianMs.toFixed(2), render.p95Ms.toFixed(2), render.p99Ms.toFixed(2), '< 3 ms'],
    ]),
  );
  log(
    `10,000 random 404 paths over HTTP: request series ${render.flood.seriesBefore} -> ${render.flood.seriesAfter}, heap after GC ${render.flood.heapBeforeMb.toFixed(1)} -> ${render.flood.heapAfterMb.toFixed(1)} MB`,
  );

  const rates = await measureGeneratorRates([10, 100, 1000, 5000], 30);
  results.generatorRates = rates;
  log('');
  log('request generator, 30 s per rate against a trivial server:');
  log(
    table([
      ['target/s', 'achieved/s', 'error %', 'sent', 'skipped', 'CPU ms per 1000', 'p99 ms', 'within 2%'],
      ...rates.map((r) => [
        r.targetRate,
        r.achievedRate.toFixed(1),
        r.errorPercent.toFixed(2),
        r.sent,
        r.skipped,
        r.cpuMsPer1000.toFixed(1),
        r.p99Ms.toFixed(1),
        Math.abs(r.errorPercent) <= 2 ? 'yes' : 'NO',
      ]),
    ]),
  );
}

const cpuShare = await measureMetricsCpuShare(
  quick
    ? { warmupSeconds: 2, durationSeconds: 5, connections: 50, path: '/counter' }
    : { warmupSeconds: 3, durationSeconds: 10, connections: 50, path: '/counter' },
);
results.metricsCpuShare = cpuShare;
const overhead = await measureOverhead(
  quick
    ? { rounds: 3, durationSeconds: 5, warmupSeconds: 2, connections: 50, path: '/counter', control: false }
    : { rounds: 8, durationSeconds: 8, warmupSeconds: 3, connections: 50, path: '/counter', control: true },
  log,
);
results.overhead = overhead;
const instrumentations = await measureInstrumentations(
  quick
    ? { rounds: 2, durationSeconds: 4, warmupSeconds: 1, connections: 50 }
    : { rounds: 6, durationSeconds: 8, warmupSeconds: 3, connections: 50 },
  log,
);
results.instrumentations = instrumentations;
const tracing = await measureTracing(
  quick
    ? { rounds: 2, durationSeconds: 5, warmupSeconds: 2, connections: 50, path: '/counter', ratios: [0.1, 1] }
    : {
        rounds: 6,
        durationSeconds: 8,
        warmupSeconds: 3,
        connections: 50,
        path: '/counter',
        ratios: [0.01, 0.1, 1],
      },
  log,
);
results.tracing = tracing;
const profiling = await measureProfiling(
  quick
    ? { rounds: 2, durationSeconds: 4, warmupSeconds: 1, connections: 50, path: '/counter' }
    : { rounds: 6, durationSeconds: 8, warmupSeconds: 3, connections: 50, path: '/counter' },
  log,
);
results.profiling = profiling;
mkdirSync(repoPath('bench/results'), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
log(`\nresults written to ${outFile}\n`);
log(formatCpuShare(cpuShare));
log(formatInstrumentations(instrumentations));
log(formatTracing(tracing));
log(formatProfiling(profiling));
// Last, so the run ends with the line "ratio instrumented/bare: X.XX".
log(formatOverhead(overhead));
