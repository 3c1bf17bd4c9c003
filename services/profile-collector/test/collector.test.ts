// The collector against real instances: the example service (examples/profiled-fastify, registered
// as its README says) with its profiler, a Fastify service without one, a closed port. Prometheus is
// what the test says it holds: the alerts and the `up` of each instance.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type CpuProfile, topCpuFunctions } from '@fos/fastify-profiler';
import type { RuleAlert, Sample } from '@fos/service-kit';
import { freePort, ManagedProcess, waitFor } from '@fos/stack/process';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const TOKEN = 'a-token-of-sufficient-length';
const EXAMPLE = join(import.meta.dirname, '../../../examples/profiled-fastify/src/server.ts');

let dir: string;
let tokenFile: string;
const processes: ManagedProcess[] = [];
const apps: FastifyInstance[] = [];

async function startExample(): Promise<{ process: ManagedProcess; instance: string }> {
  const port = await freePort();
  const example = new ManagedProcess('orders', process.execPath, [EXAMPLE], {
    PATH: process.env.PATH,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    PROFILER_TOKEN_FILE: tokenFile,
  });
  processes.push(example);
  await example.waitReady(`http://127.0.0.1:${port}/health`);
  return { process: example, instance: `127.0.0.1:${port}` };
}

/** What Prometheus holds, as the test sets it. */
class HeldPrometheus {
  held: RuleAlert[] = [];
  scraped = new Set<string>();
  async alerts(): Promise<RuleAlert[]> {
    return this.held;
  }
  async query(expr: string): Promise<Sample[]> {
    const instance = /instance="([^"]+)"/.exec(expr)?.[1];
    return [...this.scraped]
      .filter((i) => instance === undefined || i === instance)
      .map((i) => ({ labels: { job: 'orders', instance: i }, value: 1 }));
  }
}

const alert = (
  instance: string,
  activeAt: string,
  profileType = 'cpu',
  alertname = 'EventLoopBlocked',
): RuleAlert => ({
  labels: { alertname, job: 'orders', instance, severity: 'warning' },
  annotations: { profile_type: profileType },
  state: 'pending',
  activeAt,
});

/** The collector's clock, which the tests move. */
let clock = Date.parse('2026-12-08T01:00:00Z');

async function collector(prometheus: HeldPrometheus, env: Record<string, string> = {}) {
  const config = loadConfig({
    PROFILER_TOKEN_FILE: tokenFile,
    PROFILE_DIR: await mkdtemp(join(dir, 'store-')),
    CPU_PROFILE_SECONDS: '2',
    HEAP_PROFILE_SECONDS: '2',
    ...env,
  });
  const app = await buildApp({ config, logger: false, poll: false, prometheus, now: () => new Date(clock) });
  apps.push(app);
  return app;
}

/** Requests to `path` one after another until `done` settles: the instance is busy while it is profiled. */
async function loadUntil<T>(url: string, done: Promise<T>, method = 'GET'): Promise<T> {
  let settled = false;
  done.finally(() => {
    settled = true;
  });
  const worker = async () => {
    while (!settled)
      await fetch(url, { method }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
  };
  await Promise.all([worker(), worker()]);
  return done;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fos-collector-'));
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const problemOf = (app: FastifyInstance) => {
  const result = app.profileCollector.targets()[0]?.result;
  return result && 'problem' in result ? result.problem : undefined;
};

const metricLines = async (app: FastifyInstance, name: string) =>
  (await app.inject({ url: '/metrics', headers: { accept: 'text/plain' } })).body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`));

describe('profile collector', { timeout: 60_000 }, () => {
  it('takes one CPU profile per episode of a pending alert, names the burning function, and serves it three ways', async () => {
    const orders = await startExample();
    const prometheus = new HeldPrometheus();
    prometheus.scraped.add(orders.instance);
    prometheus.held = [alert(orders.instance, '2026-12-08T01:00:00Z')];
    const app = await collector(prometheus);

    await app.profileCollector.poll();
    await loadUntil(`http://${orders.instance}/price?ms=20`, app.profileCollector.drain());
    const [target] = app.profileCollector.targets();
    expect(target?.alerts).toEqual(['EventLoopBlocked']);
    const result = target?.result as { profileId: string; top: { function: string; file: string }[] };
    expect(result.top[0]).toMatchObject({
      function: 'priceQuotes',
      file: 'examples/profiled-fastify/src/server.ts',
    });

    // Published under the instance's own labels, for the alert's annotations.
    const [first] = await metricLines(app, 'profile_top_function_ratio');
    expect(first).toMatch(
      new RegExp(
        `^profile_top_function_ratio\\{job="orders",instance="${orders.instance}",profile_type="cpu",rank="1",function="priceQuotes",location="examples/profiled-fastify/src/server.ts:\\d+"\\} 0\\.\\d+$`,
      ),
    );
    expect(await metricLines(app, 'profile_capture_info')).toEqual([
      `profile_capture_info{job="orders",instance="${orders.instance}",profile_type="cpu",profile_id="${result.profileId}",problem=""} 1`,
    ]);

    // The same episode, polled again: no second capture.
    await app.profileCollector.poll();
    await app.profileCollector.drain();
    const listed = (await app.inject({ url: '/profiles' })).json() as {
      profiles: { id: string; links: Record<string, string> }[];
      store: { profiles: number };
    };
    expect(listed.store.profiles).toBe(1);
    expect(listed.profiles[0]?.links).toEqual({
      view: `http://127.0.0.1:3200/profiles/${result.profileId}/view`,
      devtools: `http://127.0.0.1:3200/profiles/${result.profileId}/profile.cpuprofile`,
      pprof: `http://127.0.0.1:3200/profiles/${result.profileId}/profile.pb.gz`,
    });

    const devtools = await app.inject({ url: `/profiles/${result.profileId}/profile.cpuprofile` });
    expect(devtools.statusCode).toBe(200);
    expect(devtools.headers['content-disposition']).toBe(
      `attachment; filename="${result.profileId}.cpuprofile"`,
    );
    const profile = devtools.json() as CpuProfile;
    expect(topCpuFunctions(profile, 1)[0]?.function).toBe('priceQuotes');
    const pprof = await app.inject({ url: `/profiles/${result.profileId}/profile.pb.gz` });
    expect(pprof.statusCode).toBe(200);
    expect(gunzipSync(pprof.rawPayload).length).toBeGreaterThan(0);
    expect((await app.inject({ url: `/profiles/${result.profileId}/profile.heapprofile` })).statusCode).toBe(
      404,
    );

    const view = await app.inject({ url: `/profiles/${result.profileId}/view` });
    expect(view.statusCode).toBe(302);
    const location = view.headers.location as string;
    expect(location).toMatch(/^\/viewer\/#profileURL=/);
    expect(new URLSearchParams(location.split('#')[1]).get('profileURL')).toBe(
      `/profiles/${result.profileId}/profile.cpuprofile`,
    );
    const viewer = await app.inject({ url: '/viewer/' });
    expect(viewer.statusCode).toBe(200);
    expect(viewer.body).toContain('speedscope');

    // A new episode within the cooldown (an alert that flaps) keeps the last profile, and takes none.
    prometheus.held = [alert(orders.instance, '2026-12-08T01:01:00Z')];
    clock += 60_000;
    await app.profileCollector.poll();
    expect(app.profileCollector.running).toBe(0);
    expect(app.profileCollector.targets()[0]?.result).toEqual(result);
    // One past it gets a new profile; an alert gone takes its series with it.
    prometheus.held = [alert(orders.instance, '2026-12-08T02:00:00Z')];
    clock += 300_000;
    await app.profileCollector.poll();
    await loadUntil(`http://${orders.instance}/price?ms=20`, app.profileCollector.drain());
    expect(
      ((await app.inject({ url: '/profiles' })).json() as { store: { profiles: number } }).store.profiles,
    ).toBe(2);
    prometheus.held = [];
    await app.profileCollector.poll();
    expect(app.profileCollector.targets()).toEqual([]);
    expect(await metricLines(app, 'profile_top_function_ratio')).toEqual([]);
    expect(await metricLines(app, 'profile_captures_total')).toContain(
      'profile_captures_total{profile_type="cpu",outcome="taken"} 2',
    );
  });

  it('serves its own profiles behind the same token, and the limits its runtime alerts compare with', async () => {
    const app = await collector(new HeldPrometheus());
    expect((await app.inject({ url: '/debug/profile/cpu?seconds=1' })).statusCode).toBe(401);
    const own = await app.inject({
      url: '/debug/profile/cpu?seconds=1',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(own.statusCode).toBe(200);
    expect((own.json() as CpuProfile).samples.length).toBeGreaterThan(0);
    const text = (await app.inject({ url: '/metrics', headers: { accept: 'text/plain' } })).body;
    expect(text).toMatch(/^nodejs_heap_size_limit_bytes \d+$/m);
  });

  it('takes a sampling heap profile for a heap alert that names the retaining function', async () => {
    const orders = await startExample();
    const prometheus = new HeldPrometheus();
    prometheus.scraped.add(orders.instance);
    prometheus.held = [alert(orders.instance, '2026-12-08T01:00:00Z', 'heap', 'HeapNearLimit')];
    const app = await collector(prometheus);
    await app.profileCollector.poll();
    await loadUntil(`http://${orders.instance}/quotes?count=2000`, app.profileCollector.drain(), 'POST');
    const result = app.profileCollector.targets()[0]?.result as { top: { function: string; file: string }[] };
    expect(result.top[0]).toMatchObject({
      function: 'rememberQuotes',
      file: 'examples/profiled-fastify/src/server.ts',
    });
  });

  it('says in one line why there is no profile, for each reason', async () => {
    const orders = await startExample();
    const bare = Fastify();
    apps.push(bare);
    bare.get('/metrics', async () => '');
    const barePort = await freePort();
    await bare.listen({ host: '127.0.0.1', port: barePort });
    const closed = `127.0.0.1:${await freePort()}`;
    const pushed = '6f1c2a9e-otlp-instance';

    const prometheus = new HeldPrometheus();
    for (const i of [orders.instance, `127.0.0.1:${barePort}`, closed]) prometheus.scraped.add(i);
    const app = await collector(prometheus);
    // A capture already running on the example: the collector's is refused with 409.
    const running = fetch(`http://${orders.instance}/debug/profile/cpu?seconds=4`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await waitFor('the first capture to start', async () => {
      const metrics = await (await fetch(`http://${orders.instance}/metrics`)).text();
      return metrics.includes('profiler_capture_running{type="cpu"} 1') || undefined;
    });
    prometheus.held = [
      alert(orders.instance, '2026-12-08T01:00:00Z'),
      alert(`127.0.0.1:${barePort}`, '2026-12-08T01:00:00Z'),
      alert(closed, '2026-12-08T01:00:00Z'),
      alert(pushed, '2026-12-08T01:00:00Z'),
    ];
    await app.profileCollector.poll();
    await app.profileCollector.drain();
    await (await running).arrayBuffer();
    const problems = Object.fromEntries(
      app.profileCollector.targets().map((t) => [t.instance, (t.result as { problem: string }).problem]),
    );
    expect(problems).toEqual({
      [orders.instance]: `a capture was already running at ${orders.instance}`,
      [`127.0.0.1:${barePort}`]: `127.0.0.1:${barePort} has no profiler: register @fos/fastify-profiler in the service to get one`,
      [closed]: `${closed} did not answer: ECONNREFUSED`,
      [pushed]:
        'orders is not scraped by Prometheus (its metrics arrive by OTLP): a profile needs @fos/fastify-profiler registered in the service and its address scraped',
    });
    const info = await metricLines(app, 'profile_capture_info');
    expect(info).toContain(
      `profile_capture_info{job="orders",instance="${closed}",profile_type="cpu",profile_id="",problem="${closed} did not answer: ECONNREFUSED"} 1`,
    );
  });

  it('says so when the instance dies during the capture, and when its token is refused', async () => {
    const orders = await startExample();
    const prometheus = new HeldPrometheus();
    prometheus.scraped.add(orders.instance);
    prometheus.held = [alert(orders.instance, '2026-12-08T01:00:00Z')];
    const app = await collector(prometheus, { CPU_PROFILE_SECONDS: '10' });
    await app.profileCollector.poll();
    await waitFor('the capture to start', async () => {
      const metrics = await (await fetch(`http://${orders.instance}/metrics`)).text();
      return metrics.includes('profiler_capture_running{type="cpu"} 1') || undefined;
    });
    orders.process.signal('SIGKILL');
    await app.profileCollector.drain();
    expect(problemOf(app)).toMatch(
      new RegExp(`^${orders.instance.replace(/\./g, '\\.')} went away during the 10s capture: `),
    );

    const other = await startExample();
    const wrongToken = join(dir, 'wrong-token');
    await writeFile(wrongToken, 'not-the-stack-token\n');
    prometheus.scraped.add(other.instance);
    prometheus.held = [alert(other.instance, '2026-12-08T01:00:00Z')];
    const refused = await collector(prometheus, { PROFILER_TOKEN_FILE: wrongToken });
    await refused.profileCollector.poll();
    await refused.profileCollector.drain();
    expect(problemOf(refused)).toBe(`the profiler at ${other.instance} refused the stack's token (HTTP 401)`);
  });
});
