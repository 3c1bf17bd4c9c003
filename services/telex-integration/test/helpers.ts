import { freePort } from '@fos/stack/process';
import { RecordingServer } from '@fos/stack/recording-server';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type IntegrationConfig, loadConfig } from '../src/config.ts';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export interface TestApp {
  app: FastifyInstance;
  config: IntegrationConfig;
  /** The waits the retries asked for, in order. */
  sleeps: number[];
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Called at each retry wait instead of waiting: the test decides what happens meanwhile. */
  onSleep?: (ms: number) => Promise<void> | void;
  now?: () => number;
}

/** An app whose return_url allowlist is 127.0.0.1 and whose retry waits are instant; closed after each test. */
export async function makeApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    TELEX_RETURN_URL_HOSTS: '127.0.0.1',
    // Nothing listens here: reports say Prometheus is unreachable unless a test points it elsewhere.
    PROMETHEUS_URL: `http://127.0.0.1:${await freePort()}`,
    ...options.env,
  });
  const sleeps: number[] = [];
  const app = await buildApp({
    config,
    logger: false,
    ...(options.now ? { now: options.now } : {}),
    sleep: async (ms) => {
      sleeps.push(ms);
      await options.onSleep?.(ms);
    },
  });
  cleanups.push(() => app.close());
  return { app, config, sleeps };
}

/** A stand-in Telex channel (its return_url), stopped after each test. */
export async function telexStandIn(): Promise<RecordingServer> {
  const server = await RecordingServer.start('telex');
  cleanups.push(() => server.stop());
  return server;
}

export function tickBody(returnUrl: string, settings: { label: string; default: unknown }[] = []) {
  return { channel_id: 'channel-1', return_url: returnUrl, settings };
}
