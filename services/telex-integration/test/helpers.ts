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
  /** Every log line the app writes, as JSON text (off when omitted). */
  logLines?: string[];
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
    logger: options.logLines
      ? { level: 'info', stream: { write: (line: string) => options.logLines?.push(line) } }
      : false,
    ...(options.now ? { now: options.now } : {}),
    sleep: async (ms) => {
      sleeps.push(ms);
      await options.onSleep?.(ms);
    },
  });
  cleanups.push(() => app.close());
  return { app, config, sleeps };
}

/** The app listening on 127.0.0.1 at the port its PUBLIC_URL names, as the A2A card tells clients. */
export async function listeningApp(options: TestAppOptions = {}): Promise<TestApp & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const made = await makeApp({ ...options, env: { PUBLIC_URL: url, ...options.env } });
  await made.app.listen({ host: '127.0.0.1', port });
  return { ...made, url };
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
