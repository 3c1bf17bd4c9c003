// The runtime scenarios' routes, and the profiler the webapp registers with a token: a CPU profile
// taken while reports run names their checksum, as the CPU alert's evidence will.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CpuProfile, topCpuFunctions } from '@fos/fastify-profiler';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { makeApp } from './helpers.ts';

const TOKEN = 'profiler-token-for-tests';

describe('the runtime scenarios', () => {
  it('/report burns its CPU in checksum and answers', async () => {
    const { app } = await makeApp({ REPORT_CPU_MS: '5' });
    const response = await app.inject({ url: '/report' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ checksum: expect.any(Number), cpuMs: 5 });
  });

  it('keeps each session until it expires, and lets all go at once when asked', async () => {
    const { app } = await makeApp({ SESSION_KIB: '64', SESSION_TTL_SECONDS: '1' });
    const first = await app.inject({ method: 'POST', url: '/sessions' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ sessions: 1, expiresInSeconds: 1 });
    expect((await app.inject({ method: 'POST', url: '/sessions' })).json().sessions).toBe(2);
    const kept = async () => (await app.inject({ url: '/sessions' })).json().sessions as number;
    // Both expire a second after they were opened.
    while ((await kept()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await app.inject({ method: 'POST', url: '/sessions' });
    await app.inject({ method: 'POST', url: '/sessions' });
    expect((await app.inject({ method: 'DELETE', url: '/sessions' })).json()).toEqual({ released: 2 });
    expect(await kept()).toBe(0);
  });

  it("keeps no more once the heap nears V8's limit, saying why", async () => {
    const { app } = await makeApp(
      {},
      { used_heap_size: 950 * 1024 * 1024, heap_size_limit: 1024 * 1024 * 1024 },
    );
    const full = await app.inject({ method: 'POST', url: '/sessions' });
    expect(full.statusCode).toBe(503);
    expect(full.json().message).toMatch(/^no new session: the heap is near 75% of its limit/);
    expect((await app.inject({ url: '/sessions' })).json().sessions).toBe(0);
  });
});

describe('the profiler', () => {
  it('is not there without PROFILER_TOKEN_FILE, and the heap limit is published anyway', async () => {
    const { app } = await makeApp();
    expect((await app.inject({ url: '/debug/profile/cpu?seconds=1' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^nodejs_heap_size_limit_bytes\{.*\} \d+$/m);
  });

  it('profiles the reports: checksum is the top self-time function', async () => {
    const { dir } = await makeApp();
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const app = await buildApp({
      config: loadConfig({
        PROFILER_TOKEN_FILE: tokenFile,
        REPORT_CPU_MS: '20',
        COUNTER_CHECKPOINT_PATH: join(dir, 'c.json'),
      }),
      logger: false,
    });
    try {
      expect((await app.inject({ url: '/debug/profile/cpu?seconds=1' })).statusCode).toBe(401);
      const profiled = app.inject({
        url: '/debug/profile/cpu?seconds=1',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      let done = false;
      profiled.finally(() => {
        done = true;
      });
      // A turn of the event loop between reports, so the capture's timer can end it.
      while (!done) {
        await app.inject({ url: '/report' });
        await new Promise((resolve) => setImmediate(resolve));
      }
      const response = await profiled;
      expect(response.statusCode).toBe(200);
      const [top] = topCpuFunctions(response.json() as CpuProfile, 3);
      expect(top?.function).toBe('checksum');
      expect(top?.file).toBe('services/webapp/src/routes/runtime.ts');
    } finally {
      await app.close();
    }
  });

  it('refuses a token file it cannot read, or one too short, naming the variable', () => {
    expect(() => loadConfig({ PROFILER_TOKEN_FILE: '/nonexistent/token' })).toThrow(
      /^invalid configuration: PROFILER_TOKEN_FILE: cannot read '\/nonexistent\/token' \(ENOENT\)/,
    );
    expect(() => loadConfig({ PROFILER_TOKEN_FILE: 'token' }, () => 'short\n')).toThrow(ConfigError);
    expect(() => loadConfig({ PROFILER_TOKEN_FILE: 'token' }, () => 'short\n')).toThrow(
      "PROFILER_TOKEN_FILE 'token' holds 5 characters on its first line, expected 12 or more",
    );
  });
});
