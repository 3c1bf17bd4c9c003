import { describe, expect, it } from 'vitest';
import { K6_DASHBOARD_UID } from '../grafana/src/k6-dashboard.ts';
import { runK6 } from '../harness/k6.ts';
import { freePort, waitFor } from '../harness/process.ts';
import { startPrometheus } from '../harness/prometheus.ts';
import { Webapp } from '../harness/stack.ts';
import { pinnedTool } from '../harness/tools.ts';
import { panelQueries, substituteVariables } from '../test/support/panels.ts';
import { reportFigure } from './report.ts';

const k6 = pinnedTool('k6');
const prometheusBinary = pinnedTool('prometheus');

describe.skipIf(!k6 || !prometheusBinary).concurrent('k6 against a real webapp', () => {
  it('the smoke test passes its thresholds and its results reach Prometheus by remote write', async () => {
    const webapp = await Webapp.launch();
    // No Alertmanager here: Prometheus only receives k6's results and scrapes the webapp.
    const prometheus = await startPrometheus(prometheusBinary as string, {
      webappTargets: [webapp.target],
      alertmanagers: [`127.0.0.1:${await freePort()}`],
    });
    try {
      const result = await runK6(k6 as string, 'smoke.ts', {
        baseUrl: webapp.url,
        prometheusUrl: prometheus.url,
      });
      expect(result.exitCode, result.output).toBe(0);
      const { metrics } = result.summary;
      const thresholds = Object.entries(metrics).flatMap(([name, m]) =>
        Object.entries(m.thresholds ?? {}).map(([t, r]) => ({ name: `${name} ${t}`, ok: r.ok })),
      );
      expect(thresholds.length).toBeGreaterThanOrEqual(8);
      expect(thresholds.filter((t) => !t.ok)).toEqual([]);
      const requests = metrics.http_reqs?.values.count ?? 0;
      expect(requests).toBeGreaterThan(30);
      expect(result.output).toMatch(/^smoke: [\d.]+s$/m);
      expect(result.output).toMatch(/^ {2}thresholds$/m);
      reportFigure(
        `k6 smoke: ${requests} requests at ${(metrics.http_reqs?.values.rate ?? 0).toFixed(1)}/s, p95 ${(metrics.http_req_duration?.values['p(95)'] ?? 0).toFixed(1)} ms, failed ${((metrics.http_req_failed?.values.rate ?? 0) * 100).toFixed(2)}%, ${thresholds.length} thresholds passed`,
      );

      const pushed = await prometheus.client.query('sum(k6_http_reqs_total)');
      expect(Number(pushed[0]?.value[1])).toBe(requests);
      // rate() needs two samples of a series: over a 5 s run, k6's default 5 s push leaves one.
      const samples = await prometheus.client.query('max(count_over_time(k6_http_reqs_total[5m]))');
      expect(
        Number(samples[0]?.value[1]),
        'samples of the busiest k6_http_reqs_total series',
      ).toBeGreaterThanOrEqual(3);

      // Every panel of the k6 dashboard shows data: k6's side from remote write, the webapp's from scrapes.
      for (const query of panelQueries(K6_DASHBOARD_UID)) {
        const expr = substituteVariables(query.expr);
        await waitFor(
          `panel "${query.panel}" to have data: ${expr}`,
          async () => ((await prometheus.client.queryRange(expr, 120)).length > 0 ? true : undefined),
          { timeoutMs: 45_000, intervalMs: 1000 },
        );
      }
    } finally {
      await prometheus.stop();
      await webapp.stop();
    }
  }, 120_000);

  it('a threshold that fails makes k6 exit non-zero', async () => {
    const webapp = await Webapp.launch();
    try {
      const result = await runK6(k6 as string, 'smoke.ts', {
        baseUrl: webapp.url,
        env: { P95_LIMIT_MS: '1', DURATION_SECONDS: '2' },
      });
      expect(result.exitCode).toBe(99);
      expect(result.output).toMatch(/FAIL {2}http_req_duration\{route:ep_one\} p\(95\)<1/);
    } finally {
      await webapp.stop();
    }
  }, 60_000);
});
