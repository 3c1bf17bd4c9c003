import { setTimeout as sleepMs } from 'node:timers/promises';
import fastifyProfiler, { registerRuntimeLimits } from '@fos/fastify-profiler';
import { createServiceApp } from '@fos/service-kit';
import type { Telemetry } from '@fos/service-kit/telemetry';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { AppConfig } from './config.ts';
import type { RandomSource } from './latency.ts';
import metricsPlugin from './plugins/metrics.ts';
import { counterRoutes } from './routes/counter.ts';
import { endpointRoutes, type Sleep } from './routes/endpoints.ts';
import { type RuntimeRoutesOptions, runtimeRoutes } from './routes/runtime.ts';

export interface BuildAppOptions {
  config: AppConfig;
  /** Pino options or an instance; defaults from config (JSON, pretty only in development). */
  logger?: FastifyServerOptions['logger'];
  /** Injected so tests run the latency profiles without waiting. */
  sleep?: Sleep;
  random?: RandomSource;
  /** Injected so tests reach the sessions' ceiling without filling the heap. */
  heapStatistics?: RuntimeRoutesOptions['heapStatistics'];
  /** Traces and logs, started by server.ts; its counters of dropped telemetry join /metrics. */
  telemetry?: Telemetry;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = await createServiceApp({
    logger: options.logger,
    logging: {
      logLevel: config.logLevel,
      nodeEnv: config.nodeEnv,
      base: { service: config.serviceName, environment: config.environment },
    },
    openapi: {
      title: 'Fastify Observability Stack webapp',
      description: 'Demo service with latency profiles, a failing route and a checkpointed counter.',
      version: '0.1.0',
      tags: [
        { name: 'workload', description: 'Routes with simulated latency and failures' },
        { name: 'counter', description: 'Checkpointed counter with business metrics' },
        {
          name: 'scenarios',
          description: 'CPU burnt and memory kept, for the runtime alerts (make scenario)',
        },
      ],
    },
  });

  await app.register(metricsPlugin, {
    serviceName: config.serviceName,
    environment: config.environment,
    requestMetricsEnabled: config.metricsEnabled,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
  // Spans and log records still buffered are sent before the process exits.
  const { telemetry } = options;
  if (telemetry) app.addHook('onClose', () => telemetry.shutdown());
  await app.register(endpointRoutes, {
    latency: config.latency,
    faultInjectionEnabled: config.faultInjectionEnabled,
    sleep: options.sleep ?? ((ms) => sleepMs(ms)),
    random: options.random ?? Math.random,
  });
  await app.register(counterRoutes, { checkpointPath: config.counterCheckpointPath });
  await app.register(runtimeRoutes, {
    reportCpuMs: config.reportCpuMs,
    sessionBytes: config.sessionBytes,
    sessionTtlMs: config.sessionTtlMs,
    ...(options.heapStatistics ? { heapStatistics: options.heapStatistics } : {}),
  });
  // Profiles on demand, for the stack's profiler (its alerts' evidence); the heap limit it publishes
  // is what the heap alerts compare with, so it is registered with or without a token.
  if (config.profilerToken) {
    await app.register(fastifyProfiler, { token: config.profilerToken, registry: app.metricsRegistry });
  } else {
    registerRuntimeLimits(app.metricsRegistry);
  }
  return app;
}
