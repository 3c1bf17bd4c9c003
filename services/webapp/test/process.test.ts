import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SERVER = new URL('../src/server.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function run(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    port: 0,
    output: () => output,
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
  };
}

/** Starts the real server on a free port and waits for pino's "Server listening at" line. */
async function start(env: Record<string, string> = {}): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'webapp-process-'));
  const started = run({ COUNTER_CHECKPOINT_PATH: join(dir, 'c.json'), ...env });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(started.output());
    if (match) return { ...started, port: Number(match[1]) };
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`server did not start:\n${started.output()}`);
}

/** Sends raw bytes and returns the status line, so malformed requests reach the server unaltered. */
async function rawStatus(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.on('error', () => {});
  socket.write(request);
  await once(socket, 'close');
  return received.split('\r\n')[0] ?? '';
}

describe('webapp process', () => {
  it.each([
    [{ PORT: 'eighty' }, /^webapp: invalid configuration: PORT must be integer, got 'eighty'$/m],
    [
      { NODE_ENV: 'prod' },
      /NODE_ENV must be equal to one of the allowed values \(production, development, test\), got 'prod'/,
    ],
    [{ EP_TWO_LATENCY: '150' }, /EP_TWO_LATENCY must be "<median_ms>:<p95_ms>"/],
  ])('exits 2 naming the variable when the configuration is bad (%o)', async (env, message) => {
    const started = run(env);
    const [code] = await started.exited;
    expect(code).toBe(2);
    expect(started.output()).toMatch(message);
    expect(started.output()).not.toMatch(/\n\s+at /);
  });

  it('with --check-config reads the configuration and exits: 0 when good, 2 naming a bad value', async () => {
    const check = (env: Record<string, string>) => {
      const child = spawn(process.execPath, [SERVER, '--check-config'], {
        env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
      return once(child, 'exit').then(([code]) => ({ code, output }));
    };
    const good = await check({ COUNTER_CHECKPOINT_PATH: join(tmpdir(), 'unused.json') });
    expect(good).toEqual({ code: 0, output: 'webapp: configuration ok\n' });
    const bad = await check({ EP_TWO_LATENCY: 'slow' });
    expect(bad.code).toBe(2);
    expect(bad.output.trim().split('\n')).toHaveLength(1);
    expect(bad.output).toMatch(/EP_TWO_LATENCY.*"slow"/);
  });

  it('exits 3 with one line naming the address when the port is in use', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const started = run({ PORT: String(port) });
      const [code] = await started.exited;
      expect(code).toBe(3);
      expect(started.output()).toBe(
        `webapp: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE); set HOST or PORT\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('logs JSON lines with request ids', async () => {
    const { port, output, child, exited } = await start();
    const response = await fetch(`http://127.0.0.1:${port}/ep_one`, {
      headers: { 'x-request-id': 'trace-me' },
    });
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
    await exited;
    const lines = output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const completed = lines.find((line) => line.msg === 'request completed' && line.reqId === 'trace-me');
    expect(completed).toMatchObject({ res: { statusCode: 200 }, service: 'webapp' });
  });

  it('answers bad input with 4xx and keeps serving', async () => {
    const { port } = await start();
    expect(
      await rawStatus(port, `GET /ep_one HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    ).toMatch(/ 431 /);
    expect(await rawStatus(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(/ 431 /);
    expect(await rawStatus(port, 'BREW /ep_one HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/ 400 /);
    expect(await rawStatus(port, 'this is not http\r\n\r\n')).toMatch(/ 400 /);
    const malformed = await fetch(`http://127.0.0.1:${port}/counter/increment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"by": nope',
    });
    expect(malformed.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('on SIGTERM finishes in-flight requests and exits 0', async () => {
    const { port, child, exited, output } = await start({ EP_FOUR_LATENCY: '400:400' });
    const inFlight = Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/ep_four`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
