import { describe, expect, it } from 'vitest';
import { measureGeneratorRates } from '../bench/generator-rate.ts';
import { median, table } from '../bench/lib/table.ts';
import { measureMetricsRender } from '../bench/metrics-render.ts';
import { formatOverhead, measureOverhead } from '../bench/overhead.ts';

// A smoke of the bench code only: tiny durations, no figures judged (benchmarks are not timed tests).
describe('bench code', () => {
  it('compares the two webapp variants and ends with the ratio line', async () => {
    const result = await measureOverhead({
      rounds: 1,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 4,
      path: '/counter',
    });
    expect(result.runs.map((r) => r.variant).sort()).toEqual(['bare', 'instrumented']);
    for (const run of result.runs) {
      expect(run.requestsPerSecond).toBeGreaterThan(0);
      expect(run.errors).toBe(0);
    }
    expect(formatOverhead(result)).toMatch(/\nratio instrumented\/bare: \d+\.\d\d$/);
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

  it('formats tables and medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\n---  --\nccc  d');
  });
});
