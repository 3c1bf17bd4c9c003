import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsRenderer } from '@fos/fastify-http-metrics';
import { buildApp } from '@fos/webapp/app';
import { loadConfig } from '@fos/webapp/config';
import { Pool } from 'undici';
import { median, quantile } from './lib/table.ts';

export interface RenderResult {
  series: number;
  renders: number;
  medianMs: number;
  p95Ms: number;
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
 * /metrics render time (OpenMetrics, as the route renders it for Prometheus) at the stack's normal series
 * count (every route and status seen, as under the steady scenario), then 10,000 random 404 paths
 * over HTTP: the series count and, after GC, the heap.
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

    const render = metricsRenderer(app.metricsRegistry);
    const lines = async () =>
      (await render('openmetrics')).split('\n').filter((l) => l && !l.startsWith('#'));
    // Request series only: process metrics come and go with open handles (the listening socket).
    const count = async () =>
      (await lines()).filter((l) => l.startsWith('http_request_duration_seconds')).length;
    const series = (await lines()).length;
    const requestSeries = await count();
    // Warm, as a long-running service is after its first scrapes: the first renders run unoptimised code.
    for (let i = 0; i < Math.min(renders, 50); i++) await render('openmetrics');
    const times: number[] = [];
    for (let i = 0; i < renders; i++) {
      const started = performance.now();
      await render('openmetrics');
      times.push(performance.now() - started);
    }

    // Over real HTTP: app.inject itself keeps memory per call (bare Fastify too), which would hide
    // what the service keeps.
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const pool = new Pool(url, { connections: 10 });
    const flood = async (paths: number) => {
      for (let i = 0; i < paths; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, paths - i) }, (_, j) =>
            pool
              .request({ method: 'GET', path: `/${Math.random().toString(36).slice(2)}/${i + j}` })
              .then((response) => response.body.dump()),
          ),
        );
      }
    };
    // A first, smaller flood compiles the 404 path and fills the client's and server's pools, so
    // the heap comparison shows what the 10,000 paths themselves leave behind.
    await flood(Math.ceil(floodPaths / 10));
    const heapBeforeMb = heapMb();
    await flood(floodPaths);
    const heapAfterMb = heapMb();
    await pool.close();
    const seriesAfter = await count();
    return {
      series,
      renders,
      medianMs: median(times),
      p95Ms: quantile(times, 0.95),
      p99Ms: quantile(times, 0.99),
      flood: { paths: floodPaths, seriesBefore: requestSeries, seriesAfter, heapBeforeMb, heapAfterMb },
    };
  } finally {
    await app.close();
  }
}
