import { setTimeout as sleepMs } from 'node:timers/promises';
import { createServiceApp } from '@fos/service-kit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { IntegrationConfig } from './config.ts';
import metricsPlugin from './metrics.ts';
import { PrometheusClient } from './prometheus.ts';
import { ReportRunner } from './reports.ts';
import { integrationRoutes } from './routes/integration.ts';
import { tickRoutes } from './routes/tick.ts';

export interface BuildAppOptions {
  config: IntegrationConfig;
  /** Pino options or an instance; defaults from config (JSON, pretty only in development). */
  logger?: FastifyServerOptions['logger'];
  /** Injected so tests control time: the wall clock, a monotonic clock and the retry waits. */
  now?: () => number;
  monotonic?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const monotonic = options.monotonic ?? (() => performance.now());
  const app = await createServiceApp({
    logger: options.logger,
    logging: { logLevel: config.logLevel, nodeEnv: config.nodeEnv, base: { service: 'telex-integration' } },
    openapi: {
      title: 'Fastify Observability Stack Telex integration',
      description:
        'A Telex interval integration: on each tick, the webapp’s health from Prometheus, posted to the channel.',
      version: '0.1.0',
      tags: [{ name: 'telex', description: 'What Telex calls: the integration spec and the tick' }],
    },
    // A tick with `"channel_id": 5` is a bad tick, not the string "5".
    ajv: { customOptions: { coerceTypes: false } },
  });
  await app.register(metricsPlugin);

  const reports = new ReportRunner({
    prometheus: new PrometheusClient(
      config.prometheusUrl,
      config.prometheusTimeoutMs,
      config.prometheusLogin,
    ),
    grafanaUrl: config.grafanaUrl,
    metrics: app.integrationMetrics,
    delivery: { ...config.delivery, sleep: options.sleep ?? ((ms) => sleepMs(ms)) },
    now: options.now ?? Date.now,
    monotonic,
  });
  // Reports under way finish (or give up) before the process exits; close-with-grace bounds the wait.
  app.addHook('onClose', () => reports.drain());

  await app.register(integrationRoutes, {
    publicUrl: config.publicUrl,
    defaultService: config.webappJob,
    corsOrigins: config.corsOrigins,
  });
  await app.register(tickRoutes, {
    returnUrlHosts: config.returnUrlHosts,
    defaultService: config.webappJob,
    reports,
    monotonic,
  });
  return app;
}
