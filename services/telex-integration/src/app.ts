import { setTimeout as sleepMs } from 'node:timers/promises';
import { DefaultRequestHandler, InMemoryPushNotificationStore } from '@a2a-js/sdk/server';
import { createServiceApp, PrometheusClient } from '@fos/service-kit';
import type { Telemetry } from '@fos/service-kit/telemetry';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { agentCard } from './agent/card.ts';
import { StackAgent } from './agent/executor.ts';
import { TelexPushSender } from './agent/push.ts';
import { RecentTaskStore } from './agent/task-store.ts';
import { AlertmanagerClient } from './alertmanager.ts';
import type { IntegrationConfig } from './config.ts';
import { JaegerClient } from './jaeger.ts';
import metricsPlugin from './metrics.ts';
import { ReportRunner } from './reports.ts';
import { a2aRoutes } from './routes/a2a.ts';
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
  /** Traces and logs, started by server.ts; its counters of dropped telemetry join /metrics. */
  telemetry?: Telemetry;
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
        'Telex’s two ways in: an interval integration (on each tick, a service’s health from Prometheus, posted to the channel) and an A2A agent (health, what is firing, silences).',
      version: '0.1.0',
      tags: [
        { name: 'telex', description: 'What Telex calls: the integration spec and the tick' },
        { name: 'a2a', description: 'The A2A agent: its card and JSON-RPC' },
      ],
    },
    // A tick with `"channel_id": 5` is a bad tick, not the string "5".
    ajv: { customOptions: { coerceTypes: false } },
  });
  await app.register(metricsPlugin);
  const { telemetry } = options;
  if (telemetry) {
    telemetry.registerMetrics(app.integrationMetrics.registry);
    app.addHook('onClose', () => telemetry.shutdown());
  }

  const prometheus = new PrometheusClient(
    config.prometheusUrl,
    config.prometheusTimeoutMs,
    config.prometheusLogin,
  );
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => sleepMs(ms));
  const reports = new ReportRunner({
    prometheus,
    ...(config.jaegerUrl ? { jaeger: new JaegerClient(config.jaegerUrl, config.prometheusTimeoutMs) } : {}),
    grafanaUrl: config.grafanaUrl,
    jaegerPublicUrl: config.jaegerPublicUrl,
    metrics: app.integrationMetrics,
    delivery: { ...config.delivery, sleep },
    now,
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

  const pushStore = new InMemoryPushNotificationStore();
  const pushes = new TelexPushSender({
    store: pushStore,
    allowedHosts: config.returnUrlHosts,
    delivery: { ...config.delivery, sleep },
    metrics: app.integrationMetrics,
    log: app.log,
  });
  // Pushes under way are delivered (or given up on) before the process exits, as reports are.
  app.addHook('onClose', () => pushes.drain());
  const agent = new DefaultRequestHandler(
    agentCard(config.publicUrl, config.webappJob),
    new RecentTaskStore(AGENT_TASKS_KEPT),
    new StackAgent({
      prometheus,
      alertmanager: new AlertmanagerClient(
        config.alertmanagerUrls,
        config.prometheusTimeoutMs,
        config.alertmanagerLogin,
      ),
      links: {
        grafanaUrl: config.grafanaUrl,
        jaegerPublicUrl: config.jaegerPublicUrl,
        jaegerUrl: config.jaegerUrl,
        victoriaLogsUrl: config.victoriaLogsUrl,
        profilesUrl: config.profilesUrl,
        alertmanagerUrl: config.alertmanagerPublicUrl,
      },
      defaultService: config.webappJob,
      metrics: app.integrationMetrics,
      log: app.log,
      now,
    }),
    undefined,
    pushStore,
    pushes,
  );
  await app.register(a2aRoutes, {
    handler: agent,
    publicUrl: config.publicUrl,
    pushUrlHosts: config.returnUrlHosts,
    ...(config.agentApiKey ? { apiKey: config.agentApiKey } : {}),
  });
  return app;
}

/** tasks/get answers for the last this many tasks; older ones are forgotten (RecentTaskStore). */
export const AGENT_TASKS_KEPT = 1000;
