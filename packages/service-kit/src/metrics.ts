import { metricsHandler } from '@fos/fastify-http-metrics';
import type { Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';

/** GET /metrics: `registry` in the format the client negotiates (Accept), logged only when it fails. */
export function metricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics: OpenMetrics (with exemplars) or the text format, as Accept asks',
        tags: ['observability'],
        response: { 200: { type: 'string' } },
      },
    },
    metricsHandler(registry),
  );
}
