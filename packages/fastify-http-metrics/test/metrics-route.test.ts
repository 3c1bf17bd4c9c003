// /metrics as the README shows it (metricsHandler): the format the client's Accept asks for, by the
// rules of the official Go client (expfmt.Negotiate), each with its content type and its counter names.
import { Counter, Registry } from '@prometheus-io/client';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import fastifyHttpMetrics, { METRICS_CONTENT_TYPES, metricsHandler, negotiatedFormat } from '../src/index.ts';

/** What Prometheus 3 sends when it scrapes (scrape_protocols' default order). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

describe('negotiatedFormat', () => {
  it.for([
    [undefined, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/plain; version=0.0.4', 'text'],
    ['application/json', 'text'],
    ['application/openmetrics-text; version=1.0.0', 'openmetrics'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    ['text/plain;q=0.9, application/openmetrics-text;q=0.5', 'text'],
    ['application/json, application/openmetrics-text;q=0.1', 'openmetrics'],
  ] as const)('Accept %j: %s', ([accept, format]) => {
    expect(negotiatedFormat(accept)).toBe(format);
  });
});

async function appWithMetrics() {
  const registry = new Registry();
  const app = Fastify();
  await app.register(fastifyHttpMetrics, { registry });
  const orders = new Counter({ name: 'orders_total', help: 'Orders taken.', registers: [registry] });
  orders.inc(3);
  app.get('/metrics', metricsHandler(registry));
  return app;
}

describe('metricsHandler', () => {
  it('answers OpenMetrics to Prometheus, the text format to curl, each with its type and names', async () => {
    const app = await appWithMetrics();
    try {
      const scraped = await app.inject({ url: '/metrics', headers: { accept: PROMETHEUS_ACCEPT } });
      expect(scraped.headers['content-type']).toBe(METRICS_CONTENT_TYPES.openmetrics);
      expect(scraped.body).toContain('# TYPE orders counter\n');
      expect(scraped.body).toContain('\norders_total 3\n');
      expect(scraped.body.endsWith('# EOF\n')).toBe(true);

      const curled = await app.inject({ url: '/metrics' });
      expect(curled.headers['content-type']).toBe(METRICS_CONTENT_TYPES.text);
      expect(curled.body).toContain('# TYPE orders_total counter\n');
      expect(curled.body).toContain('\norders_total 3\n');
      expect(curled.body).not.toContain('# EOF');
    } finally {
      await app.close();
    }
  });

  it('renders each of many concurrent scrapes in the format it asked for', async () => {
    const app = await appWithMetrics();
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          app.inject({ url: '/metrics', headers: i % 2 ? { accept: PROMETHEUS_ACCEPT } : {} }),
        ),
      );
      answers.forEach((answer, i) => {
        const openmetrics = i % 2 === 1;
        expect(answer.headers['content-type']).toBe(
          METRICS_CONTENT_TYPES[openmetrics ? 'openmetrics' : 'text'],
        );
        expect(answer.body.endsWith('# EOF\n')).toBe(openmetrics);
        expect(answer.body).toContain(
          openmetrics ? '# TYPE orders counter\n' : '# TYPE orders_total counter\n',
        );
      });
    } finally {
      await app.close();
    }
  });
});
