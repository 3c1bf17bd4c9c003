import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '@fos/request-generator/random';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp } from '../src/app.ts';
import { type AppConfig, loadConfig } from '../src/config.ts';

export interface TestApp {
  app: FastifyInstance;
  config: AppConfig;
  sleeps: number[];
  dir: string;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** Builds an app with instant, recorded sleeps and a checkpoint file in a fresh temp dir; closed after each test. */
export async function makeApp(
  env: Record<string, string> = {},
  heap?: { used_heap_size: number; heap_size_limit: number },
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'webapp-test-'));
  const config = loadConfig({ COUNTER_CHECKPOINT_PATH: join(dir, 'counter.json'), ...env });
  const sleeps: number[] = [];
  const app = await buildApp({
    config,
    logger: false,
    random: seededRandom(42),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(heap ? { heapStatistics: () => heap } : {}),
  });
  cleanups.push(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { app, config, sleeps, dir };
}
