import { type Exposition, parseExposition, sumSamples } from '@fos/stack/prom-text';
import { Registry } from '@prometheus-io/client';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import fastifyHttpMetrics, {
  HTTP_DURATION_BUCKETS,
  metricsHandler,
  OTHER_METHOD_LABEL,
  UNMATCHED_ROUTE_LABEL,
} from '../src/index.ts';

const fastifyMetrics = fastifyMetricsModule.default;
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function routes(app: FastifyInstance): void {
  app.get('/orders/:id', async (request, reply) =>
    (request.params as { id: string }).id === '0' ? reply.code(500).send({ error: 'boom' }) : { ok: true },
  );
  app.get('/health', async () => ({ ok: true }));
}

/** An app as the README shows it: the histogram on the registry /metrics serves. */
async function appWithPackage(options: { buckets?: number[] } = {}) {
  const registry = new Registry();
  const app = Fastify();
  apps.push(app);
  await app.register(fastifyHttpMetrics, { registry, ...options });
  routes(app);
  app.get('/metrics', metricsHandler(registry));
  return app;
}

async function send(app: FastifyInstance): Promise<void> {
  for (const url of ['/orders/1', '/orders/2', '/orders/0', '/health', '/no/such/path'])
    await app.inject({ url });
  await app.inject({ method: 'PROPFIND', url: '/anything' });
}

const scrape = async (app: FastifyInstance): Promise<Exposition> =>
  parseExposition((await app.inject({ url: '/metrics' })).body);

describe('@fos/fastify-http-metrics', () => {
  it('counts requests by route template, method and status code, and collapses unmatched routes and odd methods', async () => {
    const app = await appWithPackage();
    await send(app);
    const exposition = await scrape(app);
    const count = (labels: Record<string, string>) =>
      sumSamples(exposition, 'http_request_duration_seconds_count', labels);
    expect(count({ route: '/orders/:id', method: 'GET', status_code: '200' })).toBe(2);
    expect(count({ route: '/orders/:id', method: 'GET', status_code: '500' })).toBe(1);
    // The HEAD route Fastify adds for a GET has its own series, each request counted once.
    await app.inject({ method: 'HEAD', url: '/orders/1' });
    const afterHead = await scrape(app);
    expect(
      sumSamples(afterHead, 'http_request_duration_seconds_count', { route: '/orders/:id', method: 'HEAD' }),
    ).toBe(1);
    expect(
      sumSamples(afterHead, 'http_request_duration_seconds_count', { route: '/orders/:id', method: 'GET' }),
    ).toBe(3);
    expect(count({ route: UNMATCHED_ROUTE_LABEL, method: 'GET', status_code: '404' })).toBe(1);
    expect(count({ route: UNMATCHED_ROUTE_LABEL, method: OTHER_METHOD_LABEL })).toBe(1);
    // Probes and scrapes are left out.
    expect(count({ route: '/health' })).toBe(0);
    expect(count({ route: '/metrics' })).toBe(0);
    const bounds = exposition.samples
      .filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.status_code === '500')
      .map((s) => s.labels.le);
    expect(bounds).toEqual([...HTTP_DURATION_BUCKETS.map(String), '+Inf']);
  });

  it('takes other buckets', async () => {
    const app = await appWithPackage({ buckets: [0.1, 1] });
    await send(app);
    const bounds = (await scrape(app)).samples
      .filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.status_code === '500')
      .map((s) => s.labels.le);
    expect(bounds).toEqual(['0.1', '1', '+Inf']);
  });

  // The dashboards and rules serve either: the same series names, label names and counts.
  it("names and labels its series as fastify-metrics' route histogram does", async () => {
    const ours = await appWithPackage();
    const theirs = Fastify();
    apps.push(theirs);
    await theirs.register(fastifyMetrics, {
      endpoint: '/metrics',
      defaultMetrics: { enabled: false },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        routeBlacklist: ['/health', '/metrics'],
        invalidRouteGroup: UNMATCHED_ROUTE_LABEL,
        registeredRoutesOnly: false,
        overrides: { histogram: { buckets: [...HTTP_DURATION_BUCKETS] } },
      },
      clearRegisterOnInit: true,
    });
    routes(theirs);
    for (const app of [ours, theirs]) {
      for (const url of ['/orders/1', '/orders/2', '/orders/0', '/no/such/path']) await app.inject({ url });
    }
    const shape = (exposition: Exposition) =>
      exposition.samples
        .filter((s) => s.name.startsWith('http_request_duration_seconds'))
        .map(
          (s) =>
            `${s.name}{${Object.keys(s.labels).sort().join(',')}} ${s.name.endsWith('_sum') ? '' : s.value}`,
        )
        .filter((line) => !line.includes('_bucket{') || !line.endsWith(' 0'))
        .sort();
    const theirShape = shape(await scrape(theirs));
    expect(theirShape.length).toBeGreaterThan(10);
    expect(shape(await scrape(ours))).toEqual(theirShape);
  });
});
