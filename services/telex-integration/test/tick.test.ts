import { parseExposition, sumSamples } from '@fos/stack/prom-text';
import { describe, expect, it } from 'vitest';
import { MESSAGE_EVENT_NAME, MESSAGE_USERNAME } from '../src/reports.ts';
import { makeApp, telexStandIn, tickBody } from './helpers.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('POST /tick', () => {
  it('answers 202 at once and posts one report to return_url; Prometheus unreachable is reported as an error', async () => {
    const telex = await telexStandIn();
    const { app, config } = await makeApp();
    const response = await app.inject({
      method: 'POST',
      url: '/tick',
      payload: tickBody(`${telex.url}/v1/return/channel-1`),
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ status: 'accepted', channel_id: 'channel-1' });

    const [received] = await telex.waitForRequests(1, 5000);
    expect(received?.method).toBe('POST');
    expect(received?.path).toBe('/v1/return/channel-1');
    expect(received?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(received?.body ?? '{}');
    expect(Object.keys(body).sort()).toEqual(['event_name', 'message', 'status', 'username']);
    expect(body).toMatchObject({
      status: 'error',
      username: MESSAGE_USERNAME,
      event_name: MESSAGE_EVENT_NAME,
    });
    expect(body.message).toContain(`Prometheus at ${config.prometheusUrl} did not answer: ECONNREFUSED`);
    await settle();
    expect(telex.requests).toHaveLength(1);
  });

  it.each([
    [
      'missing return_url',
      { channel_id: 'c', settings: [] },
      /body must have required property 'return_url'/,
    ],
    [
      'missing channel_id',
      { return_url: 'http://127.0.0.1/x' },
      /body must have required property 'channel_id'/,
    ],
    [
      'a number for channel_id',
      { channel_id: 5, return_url: 'http://127.0.0.1/x' },
      /body\/channel_id must be string/,
    ],
    [
      'settings not a list',
      { channel_id: 'c', return_url: 'http://127.0.0.1/x', settings: {} },
      /body\/settings must be array/,
    ],
    [
      'a setting without a label',
      { channel_id: 'c', return_url: 'http://127.0.0.1/x', settings: [{ default: 1 }] },
      /body\/settings\/0 must have required property 'label'/,
    ],
    [
      'a threshold that is not a number',
      tickBody('http://127.0.0.1/x', [{ label: 'p95 latency threshold (ms)', default: 'fast' }]),
      /'p95 latency threshold \(ms\)' must be a number from 0 to 600000, got "fast"/,
    ],
    [
      'a negative threshold',
      tickBody('http://127.0.0.1/x', [{ label: 'CPU threshold (% of a core)', default: -1 }]),
      /'CPU threshold \(% of a core\)' must be a number/,
    ],
    [
      'a return_url that is not a URL',
      tickBody('not a url'),
      /return_url must be an http\(s\) URL, got 'not a url'/,
    ],
    ['a return_url of another scheme', tickBody('file:///etc/passwd'), /return_url must be an http\(s\) URL/],
  ])('refuses a body with %s: 400 naming the field, no outbound call', async (_name, payload, message) => {
    const telex = await telexStandIn();
    const { app } = await makeApp();
    // Point any URL-shaped return_url at the stand-in, so a call that should not happen would be seen.
    const body = JSON.parse(JSON.stringify(payload).replaceAll('http://127.0.0.1/x', `${telex.url}/x`));
    const response = await app.inject({ method: 'POST', url: '/tick', payload: body });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
    await settle();
    expect(telex.requests).toEqual([]);
  });

  it.each([
    ['not JSON', { 'content-type': 'application/json' }, '{"channel_id": '],
    ['another content type', { 'content-type': 'text/plain' }, 'channel_id=c'],
    ['an empty JSON body', { 'content-type': 'application/json' }, ''],
    [
      'a huge body',
      { 'content-type': 'application/json' },
      JSON.stringify({ channel_id: 'c', return_url: 'x', pad: 'x'.repeat(100_000) }),
    ],
  ])('refuses %s with 400 and no outbound call', async (_name, headers, payload) => {
    const telex = await telexStandIn();
    const { app } = await makeApp();
    const response = await app.inject({ method: 'POST', url: '/tick', headers, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/body/i) });
    await settle();
    expect(telex.requests).toEqual([]);
  });

  it('takes a setting whose value is null as unset: its default applies and the report is sent', async () => {
    const telex = await telexStandIn();
    const { app } = await makeApp();
    const response = await app.inject({
      method: 'POST',
      url: '/tick',
      payload: tickBody(`${telex.url}/v1/return/c`, [
        { label: 'p95 latency threshold (ms)', default: null },
        { label: 'CPU threshold (% of a core)', default: 90 },
      ]),
    });
    expect(response.statusCode).toBe(202);
    const [received] = await telex.waitForRequests(1, 5000);
    expect(JSON.parse(received?.body ?? '{}').message).toContain('Prometheus');
  });

  it("reports on the service the channel's setting names, and refuses one that is no job name", async () => {
    const telex = await telexStandIn();
    const { app } = await makeApp();
    const tick = (service: string) =>
      app.inject({
        method: 'POST',
        url: '/tick',
        payload: tickBody(`${telex.url}/v1/return/c`, [{ label: 'service', default: service }]),
      });
    expect((await tick('orders')).statusCode).toBe(202);
    const [received] = await telex.waitForRequests(1, 5000);
    expect(JSON.parse(received?.body ?? '{}').message).toMatch(/^orders health: unknown/);

    const bad = await tick('orders"} or vector(1) #');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'INVALID_SETTING',
      message: expect.stringContaining("'service'"),
    });
    await settle();
    expect(telex.requests).toHaveLength(1);
  });

  it('refuses a return_url outside the allowlist without calling it', async () => {
    const telex = await telexStandIn();
    const { app } = await makeApp({ env: { TELEX_RETURN_URL_HOSTS: 'ping.telex.im' } });
    const response = await app.inject({
      method: 'POST',
      url: '/tick',
      payload: tickBody(`${telex.url}/v1/return/c`),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'RETURN_URL_NOT_ALLOWED',
      message: "return_url host '127.0.0.1' is not allowed (TELEX_RETURN_URL_HOSTS: ping.telex.im)",
    });
    await settle();
    expect(telex.requests).toEqual([]);
  });

  it('delivers to a receiver that was down once it is back, exactly once, within the retry bound', async () => {
    const telex = await telexStandIn();
    await telex.stop();
    let waits = 0;
    // The receiver comes back during the second wait: attempts 1 and 2 are refused, attempt 3 lands.
    const { app, sleeps } = await makeApp({
      onSleep: async () => {
        waits += 1;
        if (waits === 2) await telex.listen();
      },
    });
    expect(
      (await app.inject({ method: 'POST', url: '/tick', payload: tickBody(`${telex.url}/r`) })).statusCode,
    ).toBe(202);
    await telex.waitForRequests(1, 5000);
    await settle();
    expect(telex.requests).toHaveLength(1);
    expect(sleeps).toEqual([1000, 2000]);
    const metrics = parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sumSamples(metrics, 'telex_integration_messages_sent_total', { status: 'error' })).toBe(1);
    expect(sumSamples(metrics, 'telex_integration_messages_failed_total')).toBe(0);
  });

  it('retries a 5xx, gives up on a receiver that stays down after DELIVERY_ATTEMPTS, and counts why', async () => {
    const telex = await telexStandIn();
    telex.status = 503;
    const { app, sleeps } = await makeApp({ env: { DELIVERY_ATTEMPTS: '3', DELIVERY_BACKOFF_MS: '50' } });
    await app.inject({ method: 'POST', url: '/tick', payload: tickBody(`${telex.url}/r`) });
    await telex.waitForRequests(3, 5000);
    await settle();
    expect(telex.requests).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
    const metrics = parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sumSamples(metrics, 'telex_integration_messages_failed_total', { reason: 'http_5xx' })).toBe(1);
    expect(sumSamples(metrics, 'telex_integration_messages_sent_total')).toBe(0);
  });

  it('does not retry a 4xx: the receiver refused the message itself', async () => {
    const telex = await telexStandIn();
    telex.status = 404;
    const { app, sleeps } = await makeApp();
    await app.inject({ method: 'POST', url: '/tick', payload: tickBody(`${telex.url}/r`) });
    await telex.waitForRequests(1, 5000);
    await settle();
    expect(telex.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const metrics = parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sumSamples(metrics, 'telex_integration_messages_failed_total', { reason: 'http_4xx' })).toBe(1);
  });

  it('counts ticks accepted and rejected and times tick to message', async () => {
    const telex = await telexStandIn();
    const { app } = await makeApp();
    await app.inject({ method: 'POST', url: '/tick', payload: tickBody(`${telex.url}/r`) });
    await app.inject({ method: 'POST', url: '/tick', payload: { channel_id: 'c' } });
    await telex.waitForRequests(1, 5000);
    await settle();
    const metrics = parseExposition((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sumSamples(metrics, 'telex_integration_ticks_total', { result: 'accepted' })).toBe(1);
    expect(sumSamples(metrics, 'telex_integration_ticks_total', { result: 'rejected' })).toBe(1);
    expect(sumSamples(metrics, 'telex_integration_tick_to_message_seconds_count')).toBe(1);
    expect(sumSamples(metrics, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('finishes a report under way before the app closes', async () => {
    const telex = await telexStandIn();
    await telex.stop();
    const { app } = await makeApp({ onSleep: () => telex.listen() });
    await app.inject({ method: 'POST', url: '/tick', payload: tickBody(`${telex.url}/r`) });
    await app.close();
    expect(telex.requests).toHaveLength(1);
  });
});
