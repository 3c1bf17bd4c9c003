import { RecordingServer } from '@fos/stack/recording-server';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { THRESHOLD_SETTINGS } from '../src/settings.ts';
import type { IntegrationSpec } from '../src/spec.ts';
import { makeApp } from './helpers.ts';

const SETTING_TYPES = ['text', 'number', 'checkbox', 'dropdown', 'multi-select'];

describe('the integration spec', () => {
  it('has every field Telex reads, with the right types, at /integration.json and /', async () => {
    const { app } = await makeApp({ env: { PUBLIC_URL: 'https://telex.example.com/fos' } });
    const response = await app.inject({ method: 'GET', url: '/integration.json' });
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    expect(data).toEqual({
      date: { created_at: expect.any(String), updated_at: expect.any(String) },
      descriptions: {
        app_name: expect.any(String),
        app_description: expect.any(String),
        app_logo: 'https://telex.example.com/fos/logo.svg',
        app_url: 'https://telex.example.com/fos',
        background_color: expect.stringMatching(/^#[0-9a-f]{6}$/),
      },
      is_active: true,
      integration_category: 'Monitoring & Logging',
      integration_type: 'interval',
      key_features: expect.any(Array),
      author: expect.any(String),
      website: expect.stringMatching(/^https:\/\//),
      settings: expect.any(Array),
      target_url: expect.any(String),
      tick_url: 'https://telex.example.com/fos/tick',
    });
    expect(Number.isNaN(Date.parse(data.date.created_at))).toBe(false);
    expect(data.key_features.length).toBeGreaterThan(0);
    for (const feature of data.key_features) expect(feature).toEqual(expect.any(String));
    for (const setting of data.settings) {
      expect(Object.keys(setting).sort()).toEqual(['default', 'description', 'label', 'required', 'type']);
      expect(SETTING_TYPES).toContain(setting.type);
      expect(typeof setting.required).toBe('boolean');
    }
    const byLabel = Object.fromEntries(
      data.settings.map((s: { label: string; default: unknown }) => [s.label, s]),
    );
    expect(byLabel.interval).toMatchObject({ type: 'text', default: '*/5 * * * *' });
    // The service each channel reports on, the demo's by default (WEBAPP_JOB).
    expect(byLabel.service).toMatchObject({ type: 'text', default: 'webapp' });
    expect(Object.keys(byLabel)).toHaveLength(2 + THRESHOLD_SETTINGS.length);
    expect(byLabel['p95 latency threshold (ms)']).toMatchObject({ type: 'number', default: 500 });
    expect(byLabel['CPU threshold (% of a core)']).toMatchObject({ type: 'number', default: 80 });
    expect(byLabel['error ratio threshold (%)']).toMatchObject({ type: 'number', default: 5 });

    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.json()).toEqual(response.json());
  });

  it.each(['/integration.json', '/'])(
    'lets the pages of Telex read %s from the browser (CORS), and no other origin',
    async (url) => {
      const { app } = await makeApp();
      for (const origin of ['https://telex.im', 'https://staging.telex.im']) {
        const allowed = await app.inject({ method: 'GET', url, headers: { origin } });
        expect(allowed.statusCode).toBe(200);
        expect(allowed.headers['access-control-allow-origin']).toBe(origin);
        const preflight = await app.inject({
          method: 'OPTIONS',
          url,
          headers: { origin, 'access-control-request-method': 'GET' },
        });
        expect(preflight.statusCode).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      }
      const other = await app.inject({ method: 'GET', url, headers: { origin: 'https://evil.example' } });
      expect(other.statusCode).toBe(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    },
  );

  it('allows the origins TELEX_CORS_ORIGINS names instead', async () => {
    const { app } = await makeApp({ env: { TELEX_CORS_ORIGINS: 'http://127.0.0.1:5173' } });
    const local = await app.inject({
      method: 'GET',
      url: '/integration.json',
      headers: { origin: 'http://127.0.0.1:5173' },
    });
    expect(local.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    const telex = await app.inject({
      method: 'GET',
      url: '/integration.json',
      headers: { origin: 'https://telex.im' },
    });
    expect(telex.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers on /tick: only the servers of Telex post ticks', async () => {
    const { app } = await makeApp();
    const response = await app.inject({
      method: 'POST',
      url: '/tick',
      headers: { origin: 'https://telex.im' },
      payload: { channel_id: 'c' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('names a logo that is served', async () => {
    const { app } = await makeApp();
    const logo = await app.inject({ method: 'GET', url: '/logo.svg' });
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(logo.body).toMatch(/^<svg /);
  });

  it('gives a tick_url that answers a tick over the network', async () => {
    const telex = await RecordingServer.start('telex');
    // Listen first, then build the spec from the real address, as PUBLIC_URL names it in a deployment.
    const probe = await buildApp({ config: loadConfig({ PORT: '0' }), logger: false });
    await probe.listen({ host: '127.0.0.1', port: 0 });
    const { port } = probe.server.address() as { port: number };
    await probe.close();
    const app = await buildApp({
      config: loadConfig({
        PORT: String(port),
        TELEX_RETURN_URL_HOSTS: '127.0.0.1',
        PROMETHEUS_URL: telex.url,
      }),
      logger: false,
    });
    try {
      await app.listen({ host: '127.0.0.1', port });
      const spec = (await (
        await fetch(`http://127.0.0.1:${port}/integration.json`)
      ).json()) as IntegrationSpec;
      const tick = await fetch(spec.data.tick_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          channel_id: 'c',
          return_url: `${telex.url}/return/c`,
          settings: spec.data.settings,
        }),
      });
      expect(tick.status).toBe(202);
      await telex.waitForRequests(1, 5000, '/return/c');
    } finally {
      await app.close();
      await telex.stop();
    }
  });
});
