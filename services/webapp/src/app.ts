import { randomUUID } from 'node:crypto';
import { setTimeout as sleepMs } from 'node:timers/promises';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppConfig } from './config.ts';
import { ErrorResponse, sendError } from './errors.ts';
import type { RandomSource } from './latency.ts';
import metricsPlugin from './plugins/metrics.ts';
import { counterRoutes } from './routes/counter.ts';
import { endpointRoutes, type Sleep } from './routes/endpoints.ts';
import { healthRoutes } from './routes/health.ts';

export interface BuildAppOptions {
  config: AppConfig;
  /** Pino options or an instance; defaults from config (JSON, pretty only in development). */
  logger?: FastifyServerOptions['logger'];
  /** Injected so tests run the latency profiles without waiting. */
  sleep?: Sleep;
  random?: RandomSource;
}

export function loggerOptions(config: AppConfig): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    base: { service: config.serviceName, environment: config.environment },
    ...(config.nodeEnv === 'development'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Long URLs are cut by Node's header limit (431); this bounds a single path parameter.
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
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

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Fastify Observability Stack webapp',
        description: 'Demo service with latency profiles, a failing route and a checkpointed counter.',
        version: '0.1.0',
      },
      tags: [
        { name: 'workload', description: 'Routes with simulated latency and failures' },
        { name: 'counter', description: 'Checkpointed counter with business metrics' },
        { name: 'observability', description: 'Metrics, liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(metricsPlugin, {
    serviceName: config.serviceName,
    environment: config.environment,
    requestMetricsEnabled: config.metricsEnabled,
  });
  await app.register(healthRoutes);
  await app.register(endpointRoutes, {
    latency: config.latency,
    faultInjectionEnabled: config.faultInjectionEnabled,
    sleep: options.sleep ?? ((ms) => sleepMs(ms)),
    random: options.random ?? Math.random,
  });
  await app.register(counterRoutes, { checkpointPath: config.counterCheckpointPath });
  return app;
}
