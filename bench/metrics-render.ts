import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../services/webapp/src/app.ts';
import { loadConfig } from '../services/webapp/src/config.ts';
import { median } from './lib/table.ts';

export interface RenderResult {
  series: number;
  renders: number;
  medianMs: number;
  p99Ms: number;
  flood: {
    paths: number;
    seriesBefore: number;
    seriesAfter: number;
    heapBeforeMb: number;
    heapAfterMb: number;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * /metrics render time at the stack's normal series count (every route and status seen, as under
 * the steady scenario), then 10,000 random 404 paths: the series count and, after GC, the heap.
 */
export async function measureMetricsRender(renders: number, floodPaths: number): Promise<RenderResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-render-'));
  const app = await buildApp({
    config: loadConfig({ COUNTER_CHECKPOINT_PATH: join(dir, 'c.json') }),
    logger: false,
    sleep: async () => {},
  });
  try {
    const urls = [
      '/ep_one',
      '/ep_two',
      '/ep_three',
      '/ep_four',
      '/error',
      '/counter',
      '/nope',
      '/ep_one?fail=true',
    ];
    for (let i = 0; i < 50; i++) for (const url of urls) await app.inject({ url });
    await app.inject({ method: 'POST', url: '/counter/increment' });
    await app.inject({ method: 'POST', url: '/counter/checkpoint' });
    await app.inject({ method: 'POST', url: '/counter/restore' });

    const count = async () =>
      (await app.metricsRegistry.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    const series = await count();
    const times: number[] = [];
    for (let i = 0; i < renders; i++) {
      const started = performance.now();
      await app.inject({ url: '/metrics' });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);

    const heapBeforeMb = heapMb();
    for (let i = 0; i < floodPaths; i++)
      await app.inject({ url: `/${Math.random().toString(36).slice(2)}/${i}` });
    const seriesAfter = await count();
    const heapAfterMb = heapMb();
    return {
      series,
      renders,
      medianMs: median(times),
      p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] as number,
      flood: { paths: floodPaths, seriesBefore: series, seriesAfter, heapBeforeMb, heapAfterMb },
    };
  } finally {
    await app.close();
  }
}
