import type { Registry } from '@prometheus-io/client';
import type { FastifyInstance } from 'fastify';

/** GET /metrics: `registry` in the Prometheus text format, logged only when it fails. */
export function metricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/metrics',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics in the text exposition format',
        tags: ['observability'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}
