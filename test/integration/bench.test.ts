import { describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  formatCpuShare,
  METRICS_CODE,
  measureMetricsCpuShare,
  profileShare,
} from '../../bench/cpu-profile.ts';
import { measureGeneratorRates } from '../../bench/generator-rate.ts';
import { formatInstrumentations, measureInstrumentations } from '../../bench/instrumentations.ts';
import { median, quantile, table } from '../../bench/lib/table.ts';
import { measureMetricsRender } from '../../bench/metrics-render.ts';
import { formatOverhead, measureOverhead } from '../../bench/overhead.ts';
import { formatProfiling, measureProfiling } from '../../bench/profiling.ts';
import { formatTracing, measureTracing } from '../../bench/traces.ts';

// A smoke of the bench code only: tiny durations, no figures judged (benchmarks are not timed tests).
describe('bench code', () => {
  it('compares the two webapp variants and ends with the ratio line', async () => {
    const result = await measureOverhead({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 4,
      path: '/counter',
      control: true,
    });
    expect(result.runs.map((r) => r.variant).sort()).toEqual(['bare', 'bare again', 'instrumented']);
    expect(result.ratios.map((r) => r.variant)).toEqual(['instrumented', 'bare again']);
    expect(result.throughputRatio).toBeGreaterThan(0);
    for (const run of result.runs) {
      expect(run.requestsPerSecond).toBeGreaterThan(0);
      expect(run.errors).toBe(0);
    }
    expect(formatOverhead(result)).toMatch(/\nratio instrumented\/bare: \d+\.\d\d$/);
  }, 60_000);

  it('compares bare, metrics only, traces and logs to a real Jaeger and VictoriaLogs as shipped and uncapped, and auto-instrumentations-node', async () => {
    const result = await measureTracing({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 4,
      path: '/counter',
      ratios: [1],
    });
    expect(result.runs.map((r) => r.variant).sort()).toEqual([
      'as shipped (traces <= 10/s, logs)',
      'auto-instrumentations-node',
      'bare',
      'metrics only',
      'traces 100% uncapped, logs',
    ]);
    for (const run of result.runs) expect(run.errors, run.variant).toBe(0);
    expect(formatTracing(result)).toMatch(/traces 100% uncapped, logs +\d+\.\d\d/);
    expect(formatTracing(result)).toMatch(/auto-instrumentations-node +\d+\.\d\d/);
  }, 90_000);

  it('compares bare, the package, fastify-metrics and OpenTelemetry on one route', async () => {
    const result = await measureInstrumentations({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 4,
    });
    expect(result.runs.map((r) => r.variant).sort()).toEqual(['bare', 'fastify-metrics', 'otel', 'package']);
    for (const run of result.runs) {
      expect(run.requestsPerSecond, run.variant).toBeGreaterThan(0);
      expect(run.errors, run.variant).toBe(0);
    }
    expect(result.ratios.map((r) => r.variant)).toEqual(['package', 'fastify-metrics', 'otel']);
    expect(formatInstrumentations(result)).toMatch(/^otel +\d+/m);
  }, 60_000);

  it('compares the webapp without the profiler, with it idle, and while it takes a CPU and a heap profile', async () => {
    const result = await measureProfiling({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 4,
      path: '/counter',
    });
    expect(result.runs.map((r) => r.variant).sort()).toEqual(
      [
        'capturing CPU',
        'capturing heap',
        'installed, idle',
        'not installed',
        'not installed (control)',
      ].sort(),
    );
    for (const run of result.runs) {
      expect(run.requestsPerSecond, run.variant).toBeGreaterThan(0);
      expect(run.errors, run.variant).toBe(0);
    }
    expect(formatProfiling(result)).toMatch(/^capturing heap +\d+/m);
  }, 60_000);

  it('measures /metrics rendering and the 404 flood', async () => {
    const result = await measureMetricsRender(5, 200);
    expect(result.series).toBeGreaterThan(100);
    expect(result.flood.seriesAfter).toBe(result.flood.seriesBefore);
    expect(result.medianMs).toBeGreaterThan(0);
  });

  it('measures the generator against a trivial server', async () => {
    const [row] = await measureGeneratorRates([50], 1);
    expect(row?.sent).toBeGreaterThan(20);
    expect(row?.cpuMsPer1000).toBeGreaterThan(0);
  });

  it('profiles the instrumented webapp under load and finds its metrics code', async () => {
    const result = await measureMetricsCpuShare({
      warmupSeconds: 0,
      durationSeconds: 2,
      connections: 4,
      path: '/counter',
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.busySamples).toBeGreaterThan(100);
    expect(result.share).toBeLessThan(0.5);
    expect(formatCpuShare(result)).toMatch(/metrics code share of CPU: \d+\.\d%/);
  }, 60_000);

  it('attributes profile samples to metrics code inclusively, leaving out idle time and samples outside the window', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url },
      children,
    });
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 3, 4]),
        frame(2, '(idle)', ''),
        frame(3, '(garbage collector)', ''),
        frame(4, 'handler', 'file:///repo/services/webapp/src/routes/counter.ts', [5, 7]),
        frame(5, 'onResponse', 'file:///repo/services/webapp/src/plugins/metrics.ts', [6]),
        frame(6, 'observe', 'file:///repo/node_modules/@prometheus-io/client/lib/histogram.js'),
        frame(7, 'serialize', 'file:///repo/node_modules/fastify/lib/reply.js'),
      ],
      startTime: 1000,
      // Sample times 1010..1080; the last one falls outside the window below.
      samples: [2, 2, 5, 6, 4, 7, 3, 6],
      timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10],
    };
    const matches = (url: string) => METRICS_CODE.test(url);
    expect(profileShare(profile, matches)).toEqual({ busySamples: 6, matchingSamples: 3, share: 0.5 });
    expect(profileShare(profile, matches, 1000, 1075)).toEqual({
      busySamples: 5,
      matchingSamples: 2,
      share: 0.4,
    });
    expect(METRICS_CODE.test('file:///repo/node_modules/fastify-metrics/dist/index.js')).toBe(true);
    expect(METRICS_CODE.test('file:///repo/packages/fastify-http-metrics/dist/duration-histogram.js')).toBe(
      true,
    );
    expect(METRICS_CODE.test('file:///repo/node_modules/fastify/lib/hooks.js')).toBe(false);
  });

  it('formats tables, medians and quantiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([4, 1, 3, 2, 5], 0.25)).toBe(2);
    expect(quantile([1, 2], 0.75)).toBe(1.75);
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\n---  --\nccc  d');
  });
});
