import { run } from '@fos/stack/exec';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { RUNBOOKS_DASHBOARD_UID, runbookPath } from '../../grafana/src/runbooks.ts';
import { committedDashboards } from '../support/panels.ts';
import {
  alertRules,
  durationSeconds,
  readYaml,
  recordingRules,
  repoPath,
  sloRecordingRules,
  sloRuleFiles,
} from '../support/repo.ts';

const promtool = pinnedTool('promtool');

describe.skipIf(!promtool)('promtool', () => {
  const ruleFiles = ['alerts', 'recording', ...sloRuleFiles()];

  it('accepts prometheus.yml and finds every rule file, the SLO rules among them', async () => {
    expect(sloRuleFiles()).toContain('slo-webapp');
    const result = await run(promtool as string, ['check', 'config', repoPath('prometheus/prometheus.yml')]);
    expect(result.stderr + result.stdout).toContain(`SUCCESS: ${ruleFiles.length} rule files found`);
    expect(result.code).toBe(0);
  });

  it('accepts the rule files', async () => {
    const result = await run(promtool as string, [
      'check',
      'rules',
      ...ruleFiles.map((file) => repoPath(`prometheus/rules/${file}.yml`)),
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
  });

  it.each(['recording.test.yml', 'alerts.test.yml', 'slo.test.yml'])(
    'passes the unit tests in %s',
    async (file) => {
      const result = await run(promtool as string, ['test', 'rules', repoPath(`prometheus/tests/${file}`)]);
      expect(result.code, result.stderr + result.stdout).toBe(0);
      expect(result.stdout).toMatch(/SUCCESS/);
    },
  );
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
    const tests = ['alerts.test.yml', 'slo.test.yml'].flatMap(
      (file) => readYaml<UnitTests>(`prometheus/tests/${file}`).tests,
    );
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

  it('tests every burn-rate alert, page and ticket, one minute before it fires and one minute after it stops', () => {
    const file = readYaml<UnitTests & { evaluation_interval: string }>('prometheus/tests/slo.test.yml');
    const step = durationSeconds(file.evaluation_interval);
    const cases = file.tests.flatMap((t) => t.alert_rule_test ?? []);
    const expected = (c: AlertTest, severity: string) =>
      c.exp_alerts.some((a) => a.exp_labels.severity === severity);
    const burnRateAlerts = alertRules().filter((rule) => rule.labels?.sloth_severity);
    // Each SLO of the webapp has a page and a ticket.
    expect(burnRateAlerts.map((r) => `${r.alert} ${r.labels?.sloth_severity}`).sort()).toEqual([
      'ErrorBudgetBurn page',
      'ErrorBudgetBurn ticket',
      'LatencyBudgetBurn page',
      'LatencyBudgetBurn ticket',
    ]);
    for (const rule of burnRateAlerts) {
      const severity = rule.labels?.severity ?? '';
      const own = cases.filter((c) => c.alertname === rule.alert);
      const at = (c: AlertTest) => durationSeconds(c.eval_time);
      const quietBefore = own.some(
        (fires) =>
          expected(fires, severity) && own.some((q) => !expected(q, severity) && at(fires) - at(q) === step),
      );
      const quietAfter = own.some(
        (fires) =>
          expected(fires, severity) && own.some((q) => !expected(q, severity) && at(q) - at(fires) === step),
      );
      expect(quietBefore, `${rule.alert} ${severity}: quiet a minute before it fires`).toBe(true);
      expect(quietAfter, `${rule.alert} ${severity}: quiet a minute after it stops`).toBe(true);
    }
  });

  it("gives Sloth's recording rules Sloth's names, one set per SLO", () => {
    const names = new Set(sloRecordingRules().map((r) => r.record));
    for (const window of ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'])
      expect(names, window).toContain(`slo:sli_error:ratio_rate${window}`);
    expect(names).toContain('slo:period_error_budget_remaining:ratio');
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
