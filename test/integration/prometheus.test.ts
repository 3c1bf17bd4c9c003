import { run } from '@fos/stack/exec';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { RUNBOOKS_DASHBOARD_UID, runbookPath } from '../../grafana/src/runbooks.ts';
import { committedDashboards } from '../support/panels.ts';
import { alertRules, durationSeconds, readYaml, recordingRules, repoPath } from '../support/repo.ts';

const promtool = pinnedTool('promtool');

describe.skipIf(!promtool)('promtool', () => {
  it('accepts prometheus.yml and finds both rule files', async () => {
    const result = await run(promtool as string, ['check', 'config', repoPath('prometheus/prometheus.yml')]);
    expect(result.stderr + result.stdout).toMatch(/SUCCESS: 2 rule files found/);
    expect(result.code).toBe(0);
  });

  it('accepts the rule files', async () => {
    const result = await run(promtool as string, [
      'check',
      'rules',
      repoPath('prometheus/rules/alerts.yml'),
      repoPath('prometheus/rules/recording.yml'),
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
  });

  it.each(['recording.test.yml', 'alerts.test.yml'])('passes the unit tests in %s', async (file) => {
    const result = await run(promtool as string, ['test', 'rules', repoPath(`prometheus/tests/${file}`)]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS/);
  });
});

interface AlertTest {
  alertname: string;
  eval_time: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
}
interface UnitTests {
  tests: {
    interval: string;
    alert_rule_test?: AlertTest[];
    promql_expr_test?: { expr: string }[];
  }[];
}

describe('rule conventions', () => {
  const alerts = alertRules();
  const recordings = recordingRules();

  it('names recording rules level:metric:operations', () => {
    expect(recordings.length).toBeGreaterThan(0);
    for (const rule of recordings)
      expect(rule.record).toMatch(/^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z0-9_]+$/);
  });

  it('gives every alert a CamelCase name, a severity, and the annotations the messages use', () => {
    for (const rule of alerts) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning|none)$/);
      for (const annotation of ['summary', 'resolved_summary', 'description', 'runbook_url']) {
        expect(rule.annotations?.[annotation], `${rule.alert} ${annotation}`).toBeTruthy();
      }
      // A resolved message must not repeat the last firing value as if it were current.
      expect(rule.annotations?.resolved_summary, rule.alert).not.toContain('$value');
      // When the condition began: the alert's own ALERTS_FOR_STATE series (written for every `for:`).
      if (rule.for) {
        expect(rule.annotations?.since, `${rule.alert} since`).toContain(
          `ALERTS_FOR_STATE{alertname="${rule.alert}"`,
        );
      }
    }
  });

  it("points every runbook_url at its alert's panel in the generated runbooks dashboard", () => {
    const dashboard = committedDashboards()['alert-runbooks.json'];
    expect(dashboard?.uid).toBe(RUNBOOKS_DASHBOARD_UID);
    for (const rule of alerts) {
      const url = rule.annotations?.runbook_url ?? '';
      const panelId = Number(url.match(/^\/d\/fos-runbooks\/alert-runbooks\?viewPanel=(\d+)$/)?.[1]);
      expect(url, rule.alert).toBe(runbookPath(panelId));
      expect(dashboard?.panels.find((p) => p.id === panelId)?.title, url).toBe(rule.alert);
    }
  });

  it('tests every alert just before and just after its for:, with labels and annotations', () => {
    const { tests } = readYaml<UnitTests>('prometheus/tests/alerts.test.yml');
    const evaluation = durationSeconds(
      readYaml<{ evaluation_interval: string }>('prometheus/tests/alerts.test.yml').evaluation_interval,
    );
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of alerts) {
      const forSeconds = durationSeconds(rule.for ?? '0s');
      const own = cases.filter((c) => c.alertname === rule.alert);
      const firing = own.filter((c) =>
        c.exp_alerts.some(
          (a) => a.exp_labels.severity === rule.labels?.severity && a.exp_annotations.runbook_url,
        ),
      );
      expect(firing.length, `${rule.alert} (${rule.labels?.severity}) fires in a test`).toBeGreaterThan(0);
      if (forSeconds === 0) continue;
      // The quiet check one evaluation before the firing one: the `for:` boundary is pinned both sides.
      const pinned = firing.some((f) =>
        own.some(
          (q) =>
            q.exp_alerts.length === 0 &&
            durationSeconds(f.eval_time) - durationSeconds(q.eval_time) === evaluation,
        ),
      );
      expect(pinned, `${rule.alert} has a quiet check one evaluation before it fires`).toBe(true);
    }
  });

  it('checks every recording rule with a promql_expr_test', () => {
    const { tests } = readYaml<UnitTests>('prometheus/tests/recording.test.yml');
    const tested = new Set(
      tests
        .flatMap((t) => t.promql_expr_test ?? [])
        .flatMap((t) => t.expr.match(/[a-z_]+:[a-z0-9_]+:[a-z0-9_]+/g) ?? []),
    );
    for (const rule of recordings) expect(tested, rule.record).toContain(rule.record);
  });
});
