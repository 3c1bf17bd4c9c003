import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const StatusResponse = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, uptimeSeconds: { type: 'number' } },
} as const;

/**
 * Liveness, readiness and the drain. Once shutdown begins, readiness answers 503 and every response
 * carries `Connection: close`: Node keeps a busy keep-alive socket open after its last response,
 * which would hold close() up to the keep-alive timeout and turn a clean exit into a forced one.
 */
async function lifecyclePlugin(app: FastifyInstance): Promise<void> {
  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });

  app.get(
    '/health',
    {
      logLevel: 'warn',
      schema: { summary: 'Liveness', tags: ['observability'], response: { 200: StatusResponse } },
    },
    async () => ({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  );

  app.get(
    '/ready',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Readiness: 503 while shutting down',
        tags: ['observability'],
        response: { 200: StatusResponse, 503: StatusResponse },
      },
    },
    async (_request, reply) => {
      if (shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
      return { status: 'ready' };
    },
  );
}

export const lifecycleRoutes = fp(lifecyclePlugin, { name: 'lifecycle', fastify: '5.x' });
