import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { ErrorResponse, sendError } from './errors.ts';
import { lifecycleRoutes } from './lifecycle.ts';
import { type LoggingSettings, loggerOptions } from './logging.ts';

export interface ServiceAppOptions {
  logging: LoggingSettings;
  /** Pino options or an instance instead of those from `logging` (tests pass false). */
  logger?: FastifyServerOptions['logger'] | undefined;
  /** OpenAPI document info and tags (served at /docs). */
  openapi: {
    title: string;
    description: string;
    version: string;
    tags: { name: string; description: string }[];
  };
  bodyLimit?: number;
  /** Ajv options for request validation (Fastify's defaults coerce types, e.g. for query strings). */
  ajv?: FastifyServerOptions['ajv'];
}

/**
 * The Fastify instance every service starts from: request ids (taken from `x-request-id` or made
 * up, and echoed back), one error body for every 4xx and 5xx, OpenAPI at /docs, and /health and
 * /ready with the shutdown drain. The service adds its own routes and metrics.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(options.logging),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Long URLs are cut by Node's header limit (431); this bounds a single path parameter.
    routerOptions: { maxParamLength: 200 },
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    return503OnClosing: true,
    ...(options.ajv ? { ajv: options.ajv } : {}),
  });

  app.addSchema(ErrorResponse);
  app.setErrorHandler<FastifyError>((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      { statusCode: 404, code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` },
      request,
      reply,
    ),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const { title, description, version, tags } = options.openapi;
  await app.register(swagger, {
    openapi: {
      info: { title, description, version },
      tags: [...tags, { name: 'observability', description: 'Metrics, liveness and readiness' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(lifecycleRoutes);
  return app;
}
