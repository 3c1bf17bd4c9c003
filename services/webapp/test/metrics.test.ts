import { METHODS } from 'node:http';
import { HTTP_DURATION_BUCKETS, OTHER_METHOD_LABEL, UNMATCHED_ROUTE_LABEL } from '@fos/fastify-http-metrics';
import { type Exposition, parseExposition, seriesKey, sumSamples } from '@fos/stack/prom-text';
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers.ts';

type App = Awaited<ReturnType<typeof makeApp>>['app'];

/** The Accept header Prometheus 3 scrapes with: OpenMetrics first, the text format as a fallback. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

async function scrape(app: App): Promise<Exposition> {
  const response = await app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } });
  expect(response.statusCode).toBe(200);
  // OpenMetrics, the format that carries exemplars, and which ends with # EOF.
  expect(response.headers['content-type']).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
  expect(response.body).toMatch(/\n# EOF\n$/);
  return parseExposition(response.body);
}

describe('/metrics', () => {
  it('exposes the request histogram by method, route template and status code, and no summary', async () => {
    const { app } = await makeApp();
    await app.inject({ url: '/ep_one' });
    await app.inject({ url: '/ep_one' });
    await app.inject({ url: '/error' });
    await app.inject({ method: 'POST', url: '/counter/increment?by=2' });
    const metrics = await scrape(app);

    expect(metrics.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(
      [...metrics.types.keys()].filter(
        (name) => name.startsWith('http_') && metrics.types.get(name) !== 'histogram',
      ),
    ).toEqual([]);
    expect(metrics.types.has('http_request_summary_seconds')).toBe(false);
    expect(
      sumSamples(metrics, 'http_request_duration_seconds_count', { route: '/ep_one', status_code: '200' }),
    ).toBe(2);
    expect(
      sumSamples(metrics, 'http_request_duration_seconds_count', { route: '/error', status_code: '500' }),
    ).toBe(1);
    expect(
      sumSamples(metrics, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/counter/increment',
        status_code: '200',
      }),
    ).toBe(1);
    const sample = metrics.samples.find((s) => s.name === 'http_request_duration_seconds_count');
    expect(Object.keys(sample?.labels ?? {}).sort()).toEqual([
      'environment',
      'method',
      'route',
      'service',
      'status_code',
    ]);
    expect(sample?.labels).toMatchObject({ service: 'webapp', environment: 'local' });
  });

  it('uses buckets fitted to the latency profiles', async () => {
    const { app } = await makeApp();
    await app.inject({ url: '/ep_two' });
    const metrics = await scrape(app);
    const boundaries = metrics.samples
      .filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.route === '/ep_two')
      .map((s) => s.labels.le);
    expect(boundaries).toEqual([...HTTP_DURATION_BUCKETS.map(String), '+Inf']);
    for (const boundary of ['0.1', '0.25', '0.5']) expect(boundaries).toContain(boundary);
    // Each threshold has a neighbour on both sides, so quantiles near it interpolate over a narrow bucket.
    expect(boundaries).toEqual(expect.arrayContaining(['0.075', '0.15', '0.2', '0.3', '0.4', '0.75']));
  });

  it('leaves scrapes, probes and docs out of the request metrics', async () => {
    const { app } = await makeApp();
    for (const url of ['/metrics', '/health', '/ready', '/docs/json']) await app.inject({ url });
    const metrics = await scrape(app);
    const routes = new Set(
      metrics.samples
        .filter((s) => s.name === 'http_request_duration_seconds_count')
        .map((s) => s.labels.route),
    );
    expect([...routes]).toEqual([]);
  });

  it('exposes default process and Node metrics with the constant labels', async () => {
    const { app } = await makeApp();
    const metrics = await scrape(app);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      const sample = metrics.samples.find((s) => s.name === name);
      expect(sample, name).toBeDefined();
      expect(sample?.labels).toMatchObject({ service: 'webapp', environment: 'local' });
    }
  });

  it('takes the service and environment labels from config', async () => {
    const { app } = await makeApp({ SERVICE_NAME: 'shop', ENVIRONMENT: 'staging' });
    const metrics = await scrape(app);
    const cpu = metrics.samples.find((s) => s.name === 'process_cpu_seconds_total');
    expect(cpu?.labels).toEqual({ service: 'shop', environment: 'staging' });
  });

  it('collapses 10,000 random unknown paths into one series per status', async () => {
    const { app } = await makeApp();
    await app.inject({ url: '/warm-up-404' });
    const before = new Set((await scrape(app)).samples.map(seriesKey));
    for (let i = 0; i < 10_000; i++) {
      const path = `/${Math.random().toString(36).slice(2)}/${i}?q=${i}`;
      await app.inject({ url: path, method: i % 2 === 0 ? 'GET' : 'POST' });
    }
    await app.inject({ url: '/warm-up-404', method: 'POST' });
    const afterScrape = await scrape(app);
    const after = new Set(afterScrape.samples.map(seriesKey));
    const added = [...after].filter((key) => !before.has(key));
    // Only the POST variant of the one unmatched label may appear (the GET one existed before).
    expect(
      added.every((key) => key.includes(`route="${UNMATCHED_ROUTE_LABEL}"`) && key.includes('method="POST"')),
    ).toBe(true);
    expect(after.size - before.size).toBeLessThanOrEqual(HTTP_DURATION_BUCKETS.length + 3);
    expect(
      sumSamples(afterScrape, 'http_request_duration_seconds_count', {
        route: UNMATCHED_ROUTE_LABEL,
        status_code: '404',
      }),
    ).toBe(10_002);
  });

  it('can switch request instrumentation off while business metrics stay', async () => {
    const { app } = await makeApp({ METRICS_ENABLED: 'false' });
    await app.inject({ url: '/ep_one' });
    const metrics = await scrape(app);
    expect(metrics.samples.some((s) => s.name.startsWith('http_request_duration'))).toBe(false);
    expect(metrics.samples.some((s) => s.name === 'app_counter_value')).toBe(true);
  });

  it('keeps each app on its own registry, so two apps in one process do not collide', async () => {
    const { app: first } = await makeApp();
    const { app: second } = await makeApp();
    await first.inject({ url: '/ep_one' });
    const secondMetrics = await scrape(second);
    expect(sumSamples(secondMetrics, 'http_request_duration_seconds_count')).toBe(0);
  });

  it('gives unmatched requests with unusual methods one method label, whatever the method', async () => {
    const { app } = await makeApp();
    const unusual = METHODS.filter(
      (m) => !['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT'].includes(m),
    );
    expect(unusual.length).toBeGreaterThan(20);
    for (const method of unusual) {
      const response = await app.inject({ method: method as 'GET', url: `/nowhere/${method.toLowerCase()}` });
      expect(response.statusCode, method).toBeGreaterThanOrEqual(400);
    }
    await app.inject({ method: 'DELETE', url: '/nowhere' });
    const series = [...(await scrape(app)).samples]
      .filter(
        (sample) =>
          sample.name === 'http_request_duration_seconds_count' &&
          sample.labels.route === UNMATCHED_ROUTE_LABEL,
      )
      .map((sample) => sample.labels.method);
    expect([...new Set(series)].sort()).toEqual(['DELETE', OTHER_METHOD_LABEL]);
    expect(
      sumSamples(await scrape(app), 'http_request_duration_seconds_count', { method: OTHER_METHOD_LABEL }),
    ).toBe(unusual.length);
  });

  it('answers a client that asks for no OpenMetrics in the text format: the same samples, no exemplars', async () => {
    const { app } = await makeApp();
    await app.inject({ url: '/ep_one' });
    await app.inject({ method: 'POST', url: '/counter/increment?by=2' });
    for (const accept of [undefined, 'text/plain', 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1', '*/*']) {
      const response = await app.inject({ url: '/metrics', headers: accept ? { accept } : {} });
      expect(response.headers['content-type'], String(accept)).toBe(
        'text/plain; version=0.0.4; charset=utf-8',
      );
      expect(response.body).not.toContain('# EOF');
      expect(response.body).not.toMatch(/ # \{/);
      // A counter under its sample name, `_total`, in its TYPE line too (the text format has no families).
      expect(response.body).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    }
    const text = parseExposition((await app.inject({ url: '/metrics' })).body);
    const openMetrics = await scrape(app);
    const names = (exposition: Exposition) =>
      [...new Set(exposition.samples.map((sample) => sample.name))].sort();
    expect(names(text)).toEqual(names(openMetrics));
    expect(names(text)).toEqual(
      expect.arrayContaining(['process_cpu_seconds_total', 'http_request_duration_seconds_count']),
    );
    // And OpenMetrics again after it: the text rendering left the counters' names as they were.
    expect((await app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } })).body).toMatch(
      /^# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total/m,
    );
  });
});
