import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeApp } from './helpers.ts';

describe('workload routes', () => {
  it.each([
    ['/ep_one', 50],
    ['/ep_two', 150],
    ['/ep_three', 300],
    ['/ep_four', 600],
  ])('%s answers 200 after a delay drawn from its profile (median %d ms)', async (url, medianMs) => {
    const { app, sleeps } = await makeApp();
    const delays: number[] = [];
    for (let i = 0; i < 400; i++) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.route).toBe(url);
      delays.push(body.delayMs);
    }
    expect(sleeps).toHaveLength(400);
    const sorted = [...sleeps].sort((a, b) => a - b);
    const median = sorted[200] as number;
    expect(median).toBeGreaterThan(medianMs * 0.85);
    expect(median).toBeLessThan(medianMs * 1.15);
  });

  it('spreads the default profiles so one route has a p95 above 500 ms and the fastest stays under 100 ms', async () => {
    const { app, sleeps } = await makeApp();
    const p95 = async (url: string) => {
      sleeps.length = 0;
      for (let i = 0; i < 1000; i++) await app.inject({ url });
      return [...sleeps].sort((a, b) => a - b)[950] as number;
    };
    expect(await p95('/ep_one')).toBeLessThan(100);
    expect(await p95('/ep_four')).toBeGreaterThan(500);
  });

  it('honours a configured latency profile', async () => {
    const { app, sleeps } = await makeApp({ EP_TWO_LATENCY: '10:10' });
    await app.inject({ url: '/ep_two' });
    expect(sleeps[0]).toBeCloseTo(10, 6);
  });

  it('/error always answers 500 with a JSON body and no stack trace', async () => {
    const { app } = await makeApp();
    const response = await app.inject({ url: '/error' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    const body = response.json();
    expect(body).toMatchObject({ statusCode: 500, error: 'Internal Server Error', code: 'DELIBERATE_ERROR' });
    expect(body.requestId).toBe(response.headers['x-request-id']);
    expect(response.body).not.toMatch(/at .*\.ts:\d+|stack/i);
  });

  it('fault injection fails a working route on request, and can be switched off', async () => {
    const { app } = await makeApp();
    const failed = await app.inject({ url: '/ep_one?fail=true' });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().code).toBe('SIMULATED_FAULT');

    const { app: locked } = await makeApp({ FAULT_INJECTION_ENABLED: 'false' });
    const refused = await locked.inject({ url: '/ep_one?fail=true' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('FAULT_INJECTION_DISABLED');
  });

  it('hides unexpected error messages behind a generic 500', async () => {
    const { app } = await makeApp();
    app.get('/boom', async () => {
      throw new Error('secret connection string');
    });
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = await makeApp();
    const response = await app.inject({ url: '/does/not/exist' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' });
  });

  it('rejects bad input with 4xx: malformed JSON, wrong query types, unsupported media, big bodies', async () => {
    const { app } = await makeApp();
    const malformed = await app.inject({
      method: 'POST',
      url: '/counter/increment',
      headers: { 'content-type': 'application/json' },
      payload: '{"by":',
    });
    expect(malformed.statusCode).toBe(400);
    const badQuery = await app.inject({ method: 'POST', url: '/counter/increment?by=-4' });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().message).toMatch(/by/);
    const media = await app.inject({
      method: 'POST',
      url: '/counter/increment',
      headers: { 'content-type': 'application/x-nope' },
      payload: 'x',
    });
    expect(media.statusCode).toBe(415);
    const big = await app.inject({
      method: 'POST',
      url: '/counter/increment',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(200_000) }),
    });
    expect(big.statusCode).toBe(413);
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/ep_one' });
    expect(wrongMethod.statusCode).toBe(404);
  });

  it('echoes a caller-supplied request id and generates one otherwise', async () => {
    const { app } = await makeApp();
    const echoed = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await app.inject({ url: '/health' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health and readiness', () => {
  it('reports live and ready', async () => {
    const { app } = await makeApp();
    expect((await app.inject({ url: '/health' })).json()).toMatchObject({ status: 'ok' });
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('drains on close: in-flight requests finish, their connection closes, new ones are refused', async () => {
    const { app } = await makeApp();
    let release: () => void = () => {};
    let started: () => void = () => {};
    const slowStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    app.get('/slow', async () => {
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(address).port);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    const socketClosed = once(socket, 'close');
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await slowStarted;
    const startedClosing = Date.now();
    const closing = app.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(fetch(`http://127.0.0.1:${port}/ready`)).rejects.toThrow();
    release();
    await closing;
    await socketClosed;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('{"done":true}');
    // Without Connection: close the idle keep-alive socket holds close() for the keep-alive timeout (72 s).
    expect(Date.now() - startedClosing).toBeLessThan(2000);
  });
});

describe('OpenAPI document', () => {
  it('documents every route with a response schema', async () => {
    const { app } = await makeApp();
    const response = await app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.openapi).toMatch(/^3\./);
    const expected = [
      'get /ep_one',
      'get /ep_two',
      'get /ep_three',
      'get /ep_four',
      'get /error',
      'get /health',
      'get /ready',
      'get /metrics',
      'get /counter',
      'post /counter/increment',
      'post /counter/checkpoint',
      'post /counter/restore',
      'get /report',
      'get /sessions',
      'post /sessions',
      'delete /sessions',
    ];
    const documented: string[] = [];
    for (const [path, methods] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        documented.push(`${method} ${path}`);
        expect(
          Object.keys((operation as { responses: object }).responses),
          `${method} ${path}`,
        ).not.toHaveLength(0);
      }
    }
    expect(documented.sort()).toEqual(expected.sort());
    const ui = await app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
  });
});
