import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fastifyStatic from '@fastify/static';
import fastifyProfiler from '@fos/fastify-profiler';
import { createServiceApp, PrometheusClient } from '@fos/service-kit';
import type { Telemetry } from '@fos/service-kit/telemetry';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { ProfileCollector } from './collector.ts';
import type { CollectorConfig } from './config.ts';
import collectorMetrics from './metrics.ts';
import { profilesRoutes } from './routes/profiles.ts';
import { ProfileStore } from './store.ts';
import { takeProfile } from './take-profile.ts';

export interface BuildAppOptions {
  config: CollectorConfig;
  /** Pino options or an instance; defaults from config (JSON, pretty only in development). */
  logger?: FastifyServerOptions['logger'];
  now?: () => Date;
  /** Where the alerts are read; default: PROMETHEUS_URL's. Tests give what Prometheus would hold. */
  prometheus?: Pick<PrometheusClient, 'alerts' | 'query'>;
  /** Poll Prometheus on its interval once ready (default); tests call profileCollector.poll() themselves. */
  poll?: boolean;
  telemetry?: Telemetry;
}

declare module 'fastify' {
  interface FastifyInstance {
    profileCollector: ProfileCollector;
  }
}

/** speedscope's built viewer (dist/release), served as it is: it loads the profile named in its URL's #profileURL. */
export const VIEWER_ROOT = join(
  dirname(createRequire(import.meta.url).resolve('speedscope/package.json')),
  'dist',
  'release',
);

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const app = await createServiceApp({
    logger: options.logger,
    logging: { logLevel: config.logLevel, nodeEnv: config.nodeEnv, base: { service: 'profile-collector' } },
    openapi: {
      title: 'Fastify Observability Stack profile collector',
      description:
        'Takes a CPU or heap profile of the instance an alert is about while the alert is pending, keeps them bounded, and serves each in a flame-graph viewer, as a .cpuprofile and as pprof.',
      version: '0.1.0',
      tags: [{ name: 'profiles', description: 'The profiles kept, and each one three ways' }],
    },
  });
  let store: ProfileStore | undefined;
  let collector: ProfileCollector | undefined;
  await app.register(collectorMetrics, {
    targets: () => collector?.targets() ?? [],
    running: () => collector?.running ?? 0,
    store: () => store,
  });
  const metrics = app.collectorMetrics;
  // Its own profiles too, with the same token: an alert about the collector carries one as any does.
  await app.register(fastifyProfiler, { token: config.profilerToken, registry: metrics.registry });
  const { telemetry } = options;
  if (telemetry) {
    telemetry.registerMetrics(metrics.registry);
    app.addHook('onClose', () => telemetry.shutdown());
  }

  store = new ProfileStore(config.profileDir, config.store, (reason) => metrics.dropped.inc({ reason }));
  await store.open();
  collector = new ProfileCollector({
    prometheus:
      options.prometheus ??
      new PrometheusClient(config.prometheus.url, config.prometheus.timeoutMs, config.prometheus.login),
    store,
    take: takeProfile,
    token: config.profilerToken,
    seconds: config.seconds,
    cooldownMs: config.cooldownMs,
    now,
    onCapture: (type, outcome) => metrics.captures.inc({ profile_type: type, outcome }),
    log: app.log,
  });
  app.decorate('profileCollector', collector);

  await app.register(profilesRoutes, {
    store,
    targets: () => collector?.targets() ?? [],
    publicUrl: config.publicUrl,
  });
  await app.register(fastifyStatic, { root: VIEWER_ROOT, prefix: '/viewer/', decorateReply: false });

  if (options.poll ?? true) {
    const stop = new AbortController();
    let loop: Promise<void> = Promise.resolve();
    app.addHook('onReady', async () => {
      loop = pollUntilStopped(app, collector, config.pollIntervalMs, stop.signal);
    });
    app.addHook('onClose', async () => {
      stop.abort();
      await loop;
      await collector?.close();
    });
  } else {
    app.addHook('onClose', () => collector?.close());
  }
  return app;
}

async function pollUntilStopped(
  app: FastifyInstance,
  collector: ProfileCollector,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await collector.poll();
      app.collectorMetrics.polls.inc({ result: 'ok' });
    } catch (error) {
      app.collectorMetrics.polls.inc({ result: 'failed' });
      app.log.warn({ err: error }, 'could not read the alerts');
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => {});
  }
}
