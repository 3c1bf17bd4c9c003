// /metrics negotiates its format (metricsHandler of @fos/fastify-http-metrics): read here by promtool, the
// field's own parser and linter, in both formats, from a real webapp process.
import { run } from '@fos/stack/exec';
import { Webapp } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { reportFigure } from '../support/report.ts';

const promtool = pinnedTool('promtool');

/** What promtool's lint says of names the stack does not choose, each for its reason. */
const ACCEPTED_LINT = [
  // The demo's feature is a counter called "counter": the word is the feature, not the type.
  "app_counter_checkpoints_total metric name should not include type 'counter'",
  "app_counter_restores_total metric name should not include type 'counter'",
  // The client library's default Node metrics (prom-client's names, which dashboards everywhere read).
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
  "nodejs_eventloop_utilization_histogram metric name should not include type 'histogram'",
  "nodejs_eventloop_utilization_summary metric name should not include type 'summary'",
];

describe.skipIf(!promtool)('/metrics in both formats, read by promtool', () => {
  it('parses the text format a client without Accept gets, and OpenMetrics with exemplars for Prometheus', async () => {
    const webapp = await Webapp.launch();
    try {
      for (let i = 0; i < 5; i++) await fetch(`${webapp.url}/ep_one`);
      const said: string[] = [];
      for (const accept of [
        undefined,
        'application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;q=0.3',
      ]) {
        const response = await fetch(`${webapp.url}/metrics`, accept ? { headers: { accept } } : {});
        const body = await response.text();
        const checked = await run(promtool as string, ['check', 'metrics'], { input: body });
        // 0: clean; 3: lint findings only; 1: it could not parse the exposition.
        expect(checked.stdout + checked.stderr).not.toContain('error while linting');
        expect([0, 3]).toContain(checked.code);
        const lint = (checked.stdout + checked.stderr).split('\n').filter(Boolean);
        if (!accept) expect(lint).toEqual(ACCEPTED_LINT);
        said.push(
          `Accept: ${accept ?? '(none)'} -> Content-Type: ${response.headers.get('content-type')}\n  ${body.split('\n').slice(0, 3).join('\n  ')}\n  promtool check metrics: ${checked.code === 0 ? 'clean' : `${lint.length} lint findings`}`,
        );
      }
      reportFigure(`/metrics, negotiated:\n${said.join('\n')}`);
    } finally {
      await webapp.stop();
    }
  });
});
