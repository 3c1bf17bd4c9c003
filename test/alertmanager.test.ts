import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postAlerts,
  type RunningAlertmanager,
  renderAlertmanagerConfig,
  startAlertmanager,
} from '../harness/alertmanager.ts';
import { run } from '../harness/exec.ts';
import { Maildev } from '../harness/maildev.ts';
import { pinnedTool } from '../harness/tools.ts';
import { alertRules } from './support/repo.ts';

const amtool = pinnedTool('amtool');
const alertmanagerBinary = pinnedTool('alertmanager');

const RUNBOOK =
  'https://github.com/fastify-observability-stack/fastify-observability-stack/blob/main/docs/runbooks.md';
const DASHBOARD = 'http://127.0.0.1:3000/d/fos-webapp/webapp-overview';

describe.skipIf(!amtool)('Alertmanager configuration', () => {
  it('renders with the defaults and passes amtool check-config', async () => {
    const { dir, code } = await renderAlertmanagerConfig({});
    expect(code).toBe(0);
    const result = await run(amtool as string, ['check-config', join(dir, 'alertmanager.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/2 inhibit rules/);
  });

  it('takes real SMTP settings from the environment', async () => {
    const { dir, code } = await renderAlertmanagerConfig({
      SMTP_SMARTHOST: 'smtp.example.com:587',
      SMTP_AUTH_USERNAME: 'alerts@example.com',
      SMTP_REQUIRE_TLS: 'true',
      ALERT_EMAIL_TO: 'team@example.com',
    });
    expect(code).toBe(0);
    const result = await run(amtool as string, ['check-config', join(dir, 'alertmanager.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const config = await import('node:fs/promises').then((fs) =>
      fs.readFile(join(dir, 'alertmanager.yml'), 'utf8'),
    );
    expect(config).toContain("smtp_smarthost: 'smtp.example.com:587'");
    expect(config).toContain('smtp_require_tls: true');
    expect(config).toContain("smtp_auth_password_file: '/run/secrets/smtp_password'");
    expect(config).not.toMatch(/smtp_auth_password:/);
  });

  it.each([
    [{ SMTP_REQUIRE_TLS: 'yes' }, /SMTP_REQUIRE_TLS must be true or false/],
    [{ SMTP_SMARTHOST: 'no-port' }, /SMTP_SMARTHOST must be host:port/],
    [{ ALERT_EMAIL_TO: "o'brien@example.com" }, /ALERT_EMAIL_TO must not contain/],
  ])('refuses a bad setting %o naming it', async (env, message) => {
    const { code, stderr } = await renderAlertmanagerConfig(env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it.each([
    [['alertname=InstanceDown', 'severity=critical', 'job=webapp'], 'email'],
    [['alertname=HighLatencyP95', 'severity=warning', 'job=webapp'], 'email'],
    [['alertname=Watchdog', 'severity=none'], 'heartbeat'],
  ])('routes %j to %s', async (labels, receiver) => {
    const { dir } = await renderAlertmanagerConfig({});
    const result = await run(amtool as string, [
      'config',
      'routes',
      'test',
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      ...labels,
    ]);
    expect(result.stdout.trim()).toBe(receiver);
  });
});

/** The alert as Prometheus would send it, with annotations from alerts.yml filled in by hand. */
function instanceDown(instance: string, extra: Partial<{ endsAt: string; startsAt: string }> = {}) {
  const rule = alertRules().find((r) => r.alert === 'InstanceDown');
  return {
    labels: { alertname: 'InstanceDown', severity: 'critical', job: 'webapp', instance },
    annotations: {
      summary: `Webapp instance ${instance} is down`,
      description: `Prometheus could not scrape the webapp at ${instance} for more than 10 seconds.`,
      runbook_url: rule?.annotations?.runbook_url ?? '',
    },
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=up',
    ...extra,
  };
}

describe.skipIf(!alertmanagerBinary)(
  'Alertmanager with the repository config, mailing a real SMTP server',
  () => {
    let mail: Maildev;
    let alertmanager: RunningAlertmanager;

    beforeAll(async () => {
      mail = await Maildev.create();
      await mail.start();
      alertmanager = await startAlertmanager(alertmanagerBinary as string, mail.smtpPort);
    }, 45_000);

    afterAll(async () => {
      await alertmanager?.process.stop();
      await mail?.stop();
    });

    it('sends a readable firing email, then a resolved one', async () => {
      const startsAt = new Date(Date.now() - 20_000);
      await postAlerts(alertmanager.url, [instanceDown('a:3000', { startsAt: startsAt.toISOString() })]);
      const firing = await mail.waitForEmail(
        'the firing email',
        (m) => m.subject.startsWith('[FIRING'),
        20_000,
      );

      expect(firing.subject).toBe(
        '[FIRING:1] InstanceDown (critical) on webapp: Webapp instance a:3000 is down',
      );
      expect(firing.to).toContain('oncall@example.com');
      const started = `${startsAt.toISOString().slice(0, 10)} ${startsAt.toISOString().slice(11, 19)} UTC`;
      for (const body of [firing.text, firing.html]) {
        expect(body).toContain('Webapp instance a:3000 is down');
        expect(body).toContain('Prometheus could not scrape the webapp at a:3000 for more than 10 seconds.');
        expect(body).toContain('critical');
        expect(body).toContain('a:3000');
        expect(body).toContain(started);
        expect(body).toContain(`${RUNBOOK}#instancedown`);
        expect(body).toContain(DASHBOARD);
      }
      expect(firing.text).toMatch(/^ {2}severity: +critical$/m);
      expect(firing.text).toMatch(/^ {2}instance: +a:3000$/m);
      expect(firing.html).toContain(`href="${RUNBOOK}#instancedown"`);
      expect(firing.html).toContain(`href="${DASHBOARD}"`);
      expect(firing.html).not.toMatch(/<no value>|\$\{/);
      expect(firing.text).not.toMatch(/<no value>|\$\{/);

      await postAlerts(alertmanager.url, [
        instanceDown('a:3000', { startsAt: startsAt.toISOString(), endsAt: new Date().toISOString() }),
      ]);
      const resolved = await mail.waitForEmail(
        'the resolved email',
        (m) => m.subject.startsWith('[RESOLVED'),
        45_000,
      );
      expect(resolved.subject).toBe(
        '[RESOLVED] InstanceDown (critical) on webapp: Webapp instance a:3000 is down',
      );
      expect(resolved.text).toMatch(/^ {2}resolved: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    }, 70_000);

    it('inhibits an instance’s other alerts while it is down, and a warning under its critical', async () => {
      await postAlerts(alertmanager.url, [
        instanceDown('b:3000'),
        { labels: { alertname: 'HighCPU', severity: 'warning', job: 'webapp', instance: 'b:3000' } },
        { labels: { alertname: 'HighCPU', severity: 'warning', job: 'webapp', instance: 'c:3000' } },
        { labels: { alertname: 'HighLatencyP95', severity: 'warning', job: 'webapp' } },
        { labels: { alertname: 'HighLatencyP95', severity: 'critical', job: 'webapp' } },
        { labels: { alertname: 'Watchdog', severity: 'none' } },
      ]);
      const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
      const alerts = (await response.json()) as {
        labels: Record<string, string>;
        status: { state: string; inhibitedBy: string[] };
        receivers: { name: string }[];
      }[];
      const find = (labels: Record<string, string>) =>
        alerts.find((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));
      expect(find({ alertname: 'HighCPU', instance: 'b:3000' })?.status.state).toBe('suppressed');
      expect(find({ alertname: 'HighCPU', instance: 'b:3000' })?.status.inhibitedBy.length).toBeGreaterThan(
        0,
      );
      expect(find({ alertname: 'HighCPU', instance: 'c:3000' })?.status.state).toBe('active');
      expect(find({ alertname: 'HighLatencyP95', severity: 'warning' })?.status.state).toBe('suppressed');
      expect(find({ alertname: 'HighLatencyP95', severity: 'critical' })?.status.state).toBe('active');
      expect(find({ alertname: 'InstanceDown', instance: 'b:3000' })?.status.state).toBe('active');
      expect(find({ alertname: 'Watchdog' })?.receivers.map((r) => r.name)).toEqual(['heartbeat']);
    });
  },
);
