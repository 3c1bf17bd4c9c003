// One Fastify app with one route, instrumented one of four ways (BENCH_VARIANT), for the side-by-side
// comparison in bench/instrumentations.ts: bare, @fos/fastify-http-metrics, fastify-metrics'
// defaults, and OpenTelemetry's metrics SDK with @fastify/otel. The otel variant is started with
// --import bench/lib/otel-setup.ts, which must load before Fastify.
import fastifyHttpMetrics from '@fos/fastify-http-metrics';
import { Registry } from '@prometheus-io/client';
import Fastify from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import { VARIANTS, type Variant } from './variants.ts';

const variant = (process.env.BENCH_VARIANT ?? 'bare') as Variant;
if (!VARIANTS.includes(variant))
  throw new Error(`BENCH_VARIANT=${variant}: expected one of ${VARIANTS.join(', ')}`);

const app = Fastify();
if (variant === 'package') {
  const registry = new Registry();
  await app.register(fastifyHttpMetrics, { registry });
  app.get('/metrics', async (_, reply) => reply.type(registry.contentType).send(await registry.metrics()));
} else if (variant === 'fastify-metrics') {
  // Its defaults, as its README registers it: route metrics and the default process metrics.
  await app.register(fastifyMetricsModule.default, { endpoint: '/metrics' });
}
app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id, item: 'book' }));
app.get('/ready', async () => ({ ready: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
