import { describe, expect, it } from 'vitest';
import { traceLink } from '../src/jaeger.ts';

describe('traceLink', () => {
  const from = new Date('2026-12-02T10:00:00Z');
  const to = new Date('2026-12-02T10:05:00Z');
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('opens the trace in Grafana Explore, through the provisioned Jaeger datasource, over the window', () => {
    const url = new URL(
      traceLink(
        id,
        {
          grafanaUrl: 'https://grafana.example.com',
          jaegerUrl: 'http://j:16686',
          jaegerPublicUrl: 'http://127.0.0.1:16686',
        },
        from,
        to,
      ),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://grafana.example.com/explore');
    expect(JSON.parse(url.searchParams.get('panes') ?? '')).toEqual({
      t: {
        datasource: 'jaeger',
        queries: [{ refId: 'A', datasource: { type: 'jaeger', uid: 'jaeger' }, query: id }],
        range: { from: String(from.getTime()), to: String(to.getTime()) },
      },
    });
  });

  it("opens it in Jaeger's UI where no Grafana is set", () => {
    const links = {
      grafanaUrl: '',
      jaegerUrl: 'http://jaeger:16686',
      jaegerPublicUrl: 'http://127.0.0.1:16686',
    };
    expect(traceLink(id, links, from, to)).toBe(`http://127.0.0.1:16686/trace/${id}`);
  });

  it("opens it by Jaeger's API where that Jaeger has no UI (no JAEGER_PUBLIC_URL)", () => {
    const links = { grafanaUrl: '', jaegerUrl: 'http://127.0.0.1:16686', jaegerPublicUrl: '' };
    expect(traceLink(id, links, from, to)).toBe(`http://127.0.0.1:16686/api/traces/${id}`);
  });
});
