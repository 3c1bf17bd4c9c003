// The profiler as a service registers it (app.inject, and a real socket for a caller that leaves):
// real profiles of this process, read back for the functions that burnt the CPU or kept the memory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Registry } from '@prometheus-io/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import fastifyProfiler, {
  type CpuProfile,
  captureRunning,
  cpuProfileToPprof,
  describeTop,
  type HeapProfile,
  heapLimitBytes,
  topCpuFunctions,
  topHeapFunctions,
} from '../src/index.ts';
import { checksumForProfilerTest, releaseRetained, retainForProfilerTest } from './fixtures.ts';

const TOKEN = 'a-test-token-of-some-length';
const auth = { authorization: `Bearer ${TOKEN}` };
const apps: FastifyInstance[] = [];
afterEach(async () => {
  releaseRetained();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function appWithProfiler(registry = new Registry()) {
  const app = Fastify();
  apps.push(app);
  await app.register(fastifyProfiler, { token: TOKEN, maxSeconds: 10, registry });
  app.get('/metrics', async () => registry.metrics());
  return app;
}

/** Calls `work` every `everyMs` (0: each turn of the event loop) until `done` settles. */
async function busyUntil<T>(done: Promise<T>, work: () => void, everyMs = 0): Promise<T> {
  let settled = false;
  done.finally(() => {
    settled = true;
  });
  while (!settled) {
    work();
    await new Promise((resolve) => (everyMs ? setTimeout(resolve, everyMs) : setImmediate(resolve)));
  }
  return done;
}

describe('@fos/fastify-profiler', () => {
  it('takes a CPU profile whose top self-time function is the one burning the CPU', async () => {
    const app = await appWithProfiler();
    const response = await busyUntil(app.inject({ url: '/debug/profile/cpu?seconds=1', headers: auth }), () =>
      checksumForProfilerTest(20),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="cpu-.+\.cpuprofile"$/);
    expect(response.headers['profile-working-directory']).toBe(process.cwd());
    const profile = response.json() as CpuProfile;
    expect(profile.samples.length).toBeGreaterThan(0);
    const [top] = topCpuFunctions(profile, 3);
    expect(top?.function).toBe('checksumForProfilerTest');
    expect(top?.file).toBe('packages/fastify-profiler/test/fixtures.ts');
    // Its line in the code as it runs (vitest's transform of the file moves lines a little).
    expect(top?.line).toBeGreaterThan(0);
    expect(top?.ratio).toBeGreaterThan(0.5);
    expect(describeTop([top as NonNullable<typeof top>])[0]).toMatch(
      /^\d+% checksumForProfilerTest \(packages\/fastify-profiler\/test\/fixtures\.ts:\d+\)$/,
    );
  });

  it("serves the CPU profile as pprof, which Go's pprof reads to the same top function and share", async (context) => {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.status !== 0) {
      if (process.env.CI === 'true')
        throw new Error(`go tool pprof needs Go: ${go.error?.message ?? go.stderr}`);
      return context.skip('no Go here for go tool pprof');
    }
    const app = await appWithProfiler();
    const devtools = app.inject({ url: '/debug/profile/cpu?seconds=1', headers: auth });
    const cpuProfile = (await busyUntil(devtools, () => checksumForProfilerTest(20))).json() as CpuProfile;
    const [top] = topCpuFunctions(cpuProfile, 1);
    const dir = mkdtempSync(join(tmpdir(), 'pprof-'));
    try {
      // The same profile through the route's encoding, and as the route serves it.
      const file = join(dir, 'cpu.pb.gz');
      writeFileSync(file, cpuProfileToPprof(cpuProfile));
      // -lines: by function and line, as topCpuFunctions counts (by name alone, pprof would merge
      // every "(anonymous)").
      const pprofTop = () => {
        const read = spawnSync('go', ['tool', 'pprof', '-top', '-lines', '-nodecount=1', file], {
          encoding: 'utf8',
        });
        expect(read.status, read.stderr).toBe(0);
        expect(read.stdout).toMatch(/^Type: cpu$/m);
        const row = read.stdout.split('\n').find((line) => /^\s*[\d.]+\w*s\s+[\d.]+%/.test(line)) ?? '';
        const [, flatPercent, , , , name, where] = row.trim().split(/\s+/);
        return { flatPercent, name, where };
      };
      expect(pprofTop()).toEqual({
        flatPercent: `${((top?.ratio ?? 0) * 100).toFixed(2)}%`,
        name: top?.function,
        where: `${top?.file}:${top?.line}`,
      });

      const served = await busyUntil(
        app.inject({ url: '/debug/profile/cpu?seconds=1&format=pprof', headers: auth }),
        () => checksumForProfilerTest(20),
      );
      expect(served.statusCode).toBe(200);
      expect(served.headers['content-type']).toBe('application/octet-stream');
      expect(served.headers['content-disposition']).toMatch(/\.pb\.gz"$/);
      writeFileSync(file, served.rawPayload);
      expect(Number.parseFloat(pprofTop().flatPercent ?? '')).toBeGreaterThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a sampling heap profile that names the function keeping the memory', async () => {
    const app = await appWithProfiler();
    const response = await busyUntil(
      app.inject({ url: '/debug/profile/heap?seconds=1', headers: auth }),
      // A few calls, not thousands: V8's heap sampler names the outer function of inlined code,
      // and a function called this rarely is never inlined.
      () => retainForProfilerTest(1024 * 1024),
      20,
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toMatch(/\.heapprofile"$/);
    const [top] = topHeapFunctions(response.json() as HeapProfile, 3);
    expect(top?.function).toBe('retainForProfilerTest');
    expect(top?.amount).toBeGreaterThan(0);
  });

  it('refuses a caller without the token, and a bad duration, naming the parameter', async () => {
    const app = await appWithProfiler();
    const anonymous = await app.inject({ url: '/debug/profile/cpu?seconds=1' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    const wrong = await app.inject({
      url: '/debug/profile/cpu?seconds=1',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    for (const seconds of ['0', '11', 'soon', '1.5']) {
      const bad = await app.inject({ url: `/debug/profile/cpu?seconds=${seconds}`, headers: auth });
      expect(bad.statusCode, seconds).toBe(400);
      expect(bad.json().message, seconds).toMatch(/^querystring\/seconds /);
    }
    expect(captureRunning()).toBeUndefined();
  });

  it('takes one capture at a time, and counts each outcome', async () => {
    const registry = new Registry();
    const app = await appWithProfiler(registry);
    const first = app.inject({ url: '/debug/profile/cpu?seconds=1', headers: auth });
    // The second asks once the first has begun.
    while (captureRunning() === undefined) await new Promise((resolve) => setImmediate(resolve));
    expect(await registry.metrics()).toContain('profiler_capture_running{type="cpu"} 1');
    const second = await app.inject({ url: '/debug/profile/heap?seconds=1', headers: auth });
    expect(second.statusCode).toBe(409);
    expect(second.headers['retry-after']).toBe('10');
    expect(second.json().error).toBe('a cpu profile is being taken; one capture at a time');
    expect((await first).statusCode).toBe(200);
    const metrics = await registry.metrics();
    expect(metrics).toContain('profiler_captures_total{type="cpu",outcome="taken"} 1');
    expect(metrics).toContain('profiler_captures_total{type="heap",outcome="busy"} 1');
    expect(metrics).toContain('profiler_capture_running{type="cpu"} 0');
  });

  it('stops a capture whose caller went away, long before its duration', async () => {
    const registry = new Registry();
    const app = await appWithProfiler(registry);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const leaving = new AbortController();
    const asked = fetch(`${url}/debug/profile/cpu?seconds=10`, {
      headers: auth,
      signal: leaving.signal,
    }).catch((error: Error) => error.name);
    while (captureRunning() === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    leaving.abort();
    expect(await asked).toBe('AbortError');
    // The capture ends on the close, not at its 10 s.
    while (captureRunning() !== undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await registry.metrics()).toContain('profiler_captures_total{type="cpu",outcome="aborted"} 1');
  });

  it('publishes the heap limit for the runtime alerts', async () => {
    const app = await appWithProfiler();
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const limit = Number(/^nodejs_heap_size_limit_bytes (\d+)$/m.exec(metrics)?.[1]);
    expect(limit).toBe(heapLimitBytes());
  });

  it("takes the heap limit from --max-old-space-size, where V8's own number adds the young generation", () => {
    const { heap_size_limit } = getHeapStatistics();
    expect(heapLimitBytes([], '')).toBe(heap_size_limit);
    expect(heapLimitBytes(['--max-old-space-size=96'], '')).toBe(96 * 1024 * 1024);
    expect(heapLimitBytes([], '--inspect --max_old_space_size=64')).toBe(64 * 1024 * 1024);
    // The command line comes after NODE_OPTIONS, and wins.
    expect(heapLimitBytes(['--max-old-space-size=128'], '--max-old-space-size=64')).toBe(128 * 1024 * 1024);
  });

  it('is right about where V8 stops: a process given 64 MiB dies of its heap near 64 MiB, not 256', async () => {
    const script = [
      "const v8 = require('node:v8');",
      'const kept = [];',
      'for (;;) {',
      "  kept.push(Array.from({ length: 1024 }, (_, i) => 'x'.repeat(1000) + i));",
      '  const { used_heap_size, heap_size_limit } = v8.getHeapStatistics();',
      "  process.stdout.write(used_heap_size + ' ' + heap_size_limit + '\\n');",
      '}',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--max-old-space-size=64', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.stderr).toContain('JavaScript heap out of memory');
    const [used, v8Limit] = (child.stdout.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    const limit = 64 * 1024 * 1024;
    expect(v8Limit).toBeGreaterThan(limit * 2);
    // Its last words: the heap near the 64 MiB it was given, far under V8's own number.
    expect((used as number) / limit).toBeGreaterThan(0.85);
    expect((used as number) / (v8Limit as number)).toBeLessThan(0.5);
  });

  it('will not start without a token worth the name', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(fastifyProfiler, { token: 'short' }).ready()).rejects.toThrow(
      /the token option must be a secret of at least 12 characters/,
    );
  });
});
