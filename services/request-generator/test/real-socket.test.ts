import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNMATCHED_ROUTE_LABEL } from '@fos/fastify-http-metrics';
import { freePort } from '@fos/stack/process';
import { parseExposition, sumSamples } from '@fos/stack/prom-text';
import { RecordingServer } from '@fos/stack/recording-server';
import { buildApp } from '@fos/webapp/app';
import { loadConfig } from '@fos/webapp/config';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { generate } from '../src/generator.ts';
import { parseArguments } from '../src/options.ts';
import type { Summary } from '../src/report.ts';
import type { TrafficRoute } from '../src/traffic.ts';

const CLI = new URL('../src/cli.ts', import.meta.url).pathname;
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A real webapp on 127.0.0.1 with short latency profiles, so a few seconds of traffic are enough. */
async function startWebapp(): Promise<{ app: FastifyInstance; url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'generator-e2e-'));
  const config = loadConfig({
    COUNTER_CHECKPOINT_PATH: join(dir, 'c.json'),
    EP_ONE_LATENCY: '2:4',
    EP_TWO_LATENCY: '4:8',
    EP_THREE_LATENCY: '8:20',
    EP_FOUR_LATENCY: '15:30',
  });
  const app = await buildApp({ config, logger: false });
  apps.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

const WEBAPP_ROUTE: Record<TrafficRoute, [string, string]> = {
  ep_one: ['GET', '/ep_one'],
  ep_two: ['GET', '/ep_two'],
  ep_three: ['GET', '/ep_three'],
  ep_four: ['GET', '/ep_four'],
  error: ['GET', '/error'],
  counter: ['GET', '/counter'],
  increment: ['POST', '/counter/increment'],
  not_found: ['GET', UNMATCHED_ROUTE_LABEL],
  report: ['GET', '/report'],
  session: ['POST', '/sessions'],
};

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

describe('generator against a real webapp on 127.0.0.1', () => {
  it("sends what the webapp's /metrics counts, route by route and status by status", async () => {
    const { app, url } = await startWebapp();
    const parsed = parseArguments([
      '--target',
      url,
      '--scenario',
      'errors',
      '--rate',
      '150',
      '--duration',
      '3',
      '--seed',
      '9',
    ]);
    if (parsed.help) throw new Error('unexpected help');
    const summary = await generate(parsed.options);

    expect(summary.sent).toBeGreaterThan(300);
    expect(summary.refused + summary.failed.timeout + summary.failed.reset + summary.failed.error).toBe(0);
    expect(summary.unexpected5xx).toBe(0);
    expect(summary.expected5xx).toBeGreaterThan(0);
    expect(summary.exitCode).toBe(0);

    const metrics = parseExposition((await app.inject({ url: '/metrics' })).body);
    let compared = 0;
    for (const [route, tally] of Object.entries(summary.byRoute) as [
      TrafficRoute,
      Summary['byRoute'][string],
    ][]) {
      const [method, label] = WEBAPP_ROUTE[route];
      for (const [status, count] of Object.entries(tally.statuses)) {
        const counted = sumSamples(metrics, 'http_request_duration_seconds_count', {
          method,
          route: label,
          status_code: status,
        });
        expect(counted, `${route} ${status}`).toBe(count);
        compared += count;
      }
    }
    expect(compared).toBe(summary.sent);
    expect(sumSamples(metrics, 'http_request_duration_seconds_count')).toBe(summary.sent);
  });

  it('the CLI prints progress and a JSON summary, and exits 0', async () => {
    const { url } = await startWebapp();
    const { code, stdout } = await runCli([
      '--target',
      url,
      '--rate',
      '40',
      '--duration',
      '2.5',
      '--report-every',
      '1',
      '--json',
    ]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(
      lines.filter((line) => /^\[\s+\d+s\] steady sent=\d+ rate=/.test(line)).length,
    ).toBeGreaterThanOrEqual(2);
    const summary = JSON.parse(lines[lines.length - 1] as string) as Summary;
    expect(summary.sent).toBeGreaterThan(50);
    expect(summary.exitCode).toBe(0);
    // Its own CPU, really measured: some, and far below the run's wall time.
    expect(summary.cpu.totalMs).toBeGreaterThan(0);
    expect(summary.cpu.totalMs).toBeLessThan(2500);
    expect(summary.cpu.msPer1000Requests).toBeCloseTo((summary.cpu.totalMs / summary.sent) * 1000, 0);
  });

  it('the CLI exits 2 naming the flag on bad input', async () => {
    const { code, stderr } = await runCli(['--rate', 'lots']);
    expect(code).toBe(2);
    expect(stderr).toContain('--rate: expected a number');
  });

  it('the CLI fails when every response is cut short (no complete answer: exit 4), counting none as 2xx', async () => {
    // 200 OK, Content-Length: 100, then 7 bytes and a close.
    const server = createServer((socket) =>
      socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"route')),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as { port: number };
      const { code, stdout } = await runCli([
        '--target',
        `http://127.0.0.1:${port}`,
        '--rate',
        '10',
        '--duration',
        '1',
      ]);
      expect(code).toBe(4);
      expect(stdout).toMatch(/ 2xx=0 /);
      expect(stdout).toMatch(/reset=[1-9]/);
    } finally {
      server.close();
    }
  });

  it('the CLI exits 4 when nothing listens at the target, reporting refusals apart from failures', async () => {
    const port = await freePort(); // free: nothing listens there
    const { code, stdout } = await runCli([
      '--target',
      `http://127.0.0.1:${port}`,
      '--rate',
      '20',
      '--duration',
      '1',
    ]);
    expect(code).toBe(4);
    expect(stdout).toMatch(/refused=[1-9]\d* timeout=0 reset=0 error=0/);
  });

  it('the CLI stops on SIGTERM with a final summary, beating its heartbeat while it runs', async () => {
    const { url } = await startWebapp();
    const heartbeat = join(await mkdtemp(join(tmpdir(), 'generator-heartbeat-')), 'beat');
    const child = spawn(process.execPath, [CLI, '--target', url, '--rate', '30'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HEARTBEAT_FILE: heartbeat },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(Date.now() - Number(await readFile(heartbeat, 'utf8'))).toBeLessThan(5000);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout).toMatch(/summary: steady against/);
    expect(stdout).toMatch(/exit 0/);
  });
});

describe('traces from the generator', () => {
  /** Runs the generator at ep_one against a recording target, its spans to a recording collector. */
  async function tracedRun(rate: number, seconds: number, flags: string[]) {
    const target = await RecordingServer.start('webapp');
    const collector = await RecordingServer.start('otlp');
    try {
      const parsed = parseArguments([
        ...['--target', target.url, '--rate', String(rate), '--duration', String(seconds)],
        ...['--weights', 'ep_one=1', '--traces-endpoint', `${collector.url}/v1/traces`, ...flags],
      ]);
      if (parsed.help) throw new Error('unexpected help');
      await generate(parsed.options);
      return {
        traceparents: target.requests.map((request) => String(request.headers.traceparent)),
        exports: collector.requests.filter((request) => request.path === '/v1/traces'),
      };
    } finally {
      await target.stop();
      await collector.stop();
    }
  }

  it.each([
    [1, '01'],
    [0, '00'],
  ])(
    'sends each request with a traceparent (ratio %d: flags %s) and its spans to the endpoint',
    async (ratio, flags) => {
      const { traceparents, exports } = await tracedRun(20, 1, [
        ...['--trace-sample-ratio', String(ratio), '--traces-max-per-second', '1000'],
      ]);
      expect(traceparents.length).toBeGreaterThan(10);
      for (const traceparent of traceparents)
        expect(traceparent).toMatch(new RegExp(`^00-[0-9a-f]{32}-[0-9a-f]{16}-${flags}$`));
      // One trace per request.
      expect(new Set(traceparents.map((t) => t.split('-')[1])).size).toBe(traceparents.length);
      // Kept spans were exported before generate() returned; none are when none is kept.
      if (ratio === 1) expect(exports.length).toBeGreaterThan(0);
      else expect(exports).toEqual([]);
    },
  );

  it('keeps no more traces than --traces-max-per-second: the rest go out unsampled (flags 00)', async () => {
    const { traceparents } = await tracedRun(60, 2, ['--traces-max-per-second', '5']);
    const flags = traceparents.map((traceparent) => traceparent.slice(-2));
    expect(flags.length).toBeGreaterThan(80);
    // A second's worth of tokens at the start and 5 a second after: 15 in 2 s, at most.
    const kept = flags.filter((f) => f === '01').length;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThanOrEqual(15);
    expect(flags.filter((f) => f === '00').length).toBe(flags.length - kept);
  });
});
