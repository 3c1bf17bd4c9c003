import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  postAlerts,
  type RunningAlertmanager,
  renderAlertmanagerConfig,
  startAlertmanager,
} from '@fos/stack/alertmanager';
import { run } from '@fos/stack/exec';
import { Maildev } from '@fos/stack/maildev';
import { pinnedTool } from '@fos/stack/tools';
import { type EvidenceTargets, evidenceLinks } from '@fos/telex-integration/evidence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules } from '../support/repo.ts';

/** A fresh directory under this file's scratch space, removed after the file's tests. */
const scratch = await mkdtemp(join(tmpdir(), 'alertmanager-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const scratchDir = () => mkdtemp(join(scratch, 'render-'));

const amtool = pinnedTool('amtool');
const alertmanagerBinary = pinnedTool('alertmanager');

const GRAFANA = 'http://127.0.0.1:3000';
const DASHBOARD = `${GRAFANA}/d/fos-service/service-overview?var-service=webapp`;
const runbookUrl = (alert: string) =>
  alertRules().find((r) => r.alert === alert)?.annotations?.runbook_url ?? '';

describe.skipIf(!amtool)('Alertmanager configuration', () => {
  it('renders with the defaults and passes amtool check-config', async () => {
    const { dir, code } = await renderAlertmanagerConfig({}, await scratchDir());
    expect(code).toBe(0);
    const result = await run(amtool as string, ['check-config', join(dir, 'alertmanager.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/2 inhibit rules/);
  });

  it('takes real SMTP settings from the environment', async () => {
    const { dir, code } = await renderAlertmanagerConfig(
      {
        SMTP_SMARTHOST: 'smtp.example.com:587',
        SMTP_AUTH_USERNAME: 'alerts@example.com',
        SMTP_REQUIRE_TLS: 'true',
        ALERT_EMAIL_TO: 'team@example.com',
      },
      await scratchDir(),
    );
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
    [
      { ALERT_EMAIL_TO: 'team@example.com\nBcc: everyone@example.com' },
      /^render-config: ALERT_EMAIL_TO must be one line$/m,
    ],
    [{ SMTP_FROM: 'alerts@example.com\n' }, /^render-config: SMTP_FROM must be one line$/m],
    [{ ALERT_EMAIL_TO: '{{ .ExternalURL }}@example.com' }, /ALERT_EMAIL_TO must not contain \{\{ or \}\}/],
    [
      { GRAFANA_URL: 'https://grafana.example.com/{{ template "x" }}' },
      /GRAFANA_URL must not contain \{\{ or \}\}/,
    ],
  ])('refuses a bad setting %o naming it, and writes no config', async (env, message) => {
    const { dir, code, stderr } = await renderAlertmanagerConfig(env, await scratchDir());
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each([
    [['alertname=InstanceDown', 'severity=critical', 'job=webapp'], 'team'],
    [['alertname=HighLatencyP95', 'severity=warning', 'job=webapp'], 'team'],
    [['alertname=Watchdog', 'severity=none'], 'heartbeat'],
  ])('routes %j to %s', async (labels, receiver) => {
    const { dir } = await renderAlertmanagerConfig({}, await scratchDir());
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

/** "2006-01-02 15:04:05 UTC", as the emails print times. */
const printed = (date: Date) => `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)} UTC`;

/**
 * An InstanceDown alert as Prometheus sends it: the condition began at `began` (the `since`
 * annotation), the alert fired 10 s later (`startsAt`, its `for:`), annotations as alerts.yml
 * renders them.
 */
function instanceDown(instance: string, began: Date, endsAt?: Date) {
  return {
    labels: { alertname: 'InstanceDown', severity: 'critical', job: 'webapp', instance },
    annotations: {
      summary: `webapp instance ${instance} is down`,
      resolved_summary: `webapp instance ${instance} is up again`,
      description: `Prometheus could not scrape the webapp at ${instance} for more than 10 seconds.`,
      scrape_error:
        "connection refused; every target's last error: http://127.0.0.1:9090/api/v1/targets?scrapePool=webapp&state=active",
      since: began.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: runbookUrl('InstanceDown'),
    },
    startsAt: new Date(began.getTime() + 10_000).toISOString(),
    ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=up',
  };
}

/** A job-level alert: no instance label. */
function highRequestVolume(began: Date) {
  return {
    labels: { alertname: 'HighRequestVolume', severity: 'warning', job: 'webapp' },
    annotations: {
      summary: 'High request volume on webapp: 40.0 req/s',
      resolved_summary: 'Request volume on webapp is back under 20 req/s',
      description: 'The webapp receives 40.0 requests per second over the last 30 seconds.',
      since: began.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: runbookUrl('HighRequestVolume'),
    },
    startsAt: new Date(began.getTime() + 10_000).toISOString(),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=job%3Ahttp_requests%3Arate30s',
  };
}

/** HighLatencyP95 at one severity, on `job` (a job of its own, so that no other test shares its groups). */
function highLatency(severity: 'warning' | 'critical', job: string, began: Date, endsAt?: Date) {
  const limit = severity === 'critical' ? '500ms' : '250ms';
  return {
    labels: { alertname: 'HighLatencyP95', severity, job },
    annotations: {
      summary: `p95 latency of ${job} is 612.0ms (over ${limit})`,
      resolved_summary: `p95 latency of ${job} is back under ${limit}`,
      description: `The 95th percentile of ${job} over 5 minutes is 612.0ms.`,
      since: began.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: runbookUrl('HighLatencyP95'),
      slow_traces_over: limit,
    },
    startsAt: new Date(began.getTime() + 60_000).toISOString(),
    ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=job%3Ahttp_request_duration_seconds%3Ap95_rate5m',
  };
}

/** HighErrorRatio as alerts.yml renders it: the commonest failure, 503 on /ep_two. */
function highErrorRatio(job: string, began: Date) {
  return {
    labels: { alertname: 'HighErrorRatio', severity: 'critical', job },
    annotations: {
      summary: `16.0% of requests to the working routes of ${job} fail`,
      description: 'Over the last minute 16% failed.',
      since: began.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: runbookUrl('HighErrorRatio'),
      failed_status_code: '503',
      failed_route: '/ep_two',
    },
    startsAt: new Date(began.getTime() + 60_000).toISOString(),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=x',
  };
}

/**
 * The Telex agent's evidence links of the alert equal the email's, to the character: one decision
 * in two languages (services/telex-integration/src/evidence.ts mirrors email.tmpl).
 */
function expectAgentLinksAsEmail(
  email: { text: string },
  alert: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string },
  targets: Partial<EvidenceTargets>,
) {
  const agent = evidenceLinks(alert, {
    grafanaUrl: '',
    jaegerPublicUrl: '',
    jaegerUrl: '',
    victoriaLogsUrl: '',
    profilesUrl: '',
    ...targets,
  });
  expect(agent?.traces).toBe(/^ {2}traces: +(\S+)$/m.exec(email.text)?.[1]);
  expect(agent?.logs).toBe(/^ {2}logs: +(\S+)$/m.exec(email.text)?.[1]);
}

/** A whole second, `secondsAgo` before now. */
const secondsAgo = (seconds: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - seconds * 1000);

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
      await alertmanager?.stop();
      await mail?.stop();
    });

    it('links a HighErrorRatio email to the traces of its commonest failure and the logs of its window, in Grafana Explore', async () => {
      const job = 'evidence-story';
      const began = secondsAgo(60);
      const alert = highErrorRatio(job, began);
      await postAlerts(alertmanager.url, [alert]);
      const email = await mail.waitForEmail(
        'the HighErrorRatio email',
        (m) => m.subject.includes('HighErrorRatio') && m.subject.includes(job),
        30_000,
      );
      const pane = (line: string) => {
        const url = new URL(new RegExp(`^ {2}${line}: +(\\S+)$`, 'm').exec(email.text)?.[1] ?? '');
        expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:3000/explore');
        return Object.values(JSON.parse(url.searchParams.get('panes') ?? '{}'))[0] as {
          datasource: string;
          queries: Record<string, unknown>[];
          range: { from: string; to: string };
        };
      };
      const firedAt = began.getTime() + 60_000;
      const traces = pane('traces');
      // By the server span's attributes: Jaeger's memory store finds no OTLP span by error=true.
      expect(traces).toMatchObject({
        datasource: 'jaeger',
        queries: [
          { queryType: 'search', service: job, tags: 'http.response.status_code=503 http.route="/ep_two"' },
        ],
      });
      expect(Number(traces.range.from)).toBe(firedAt - 900_000);
      expect(Number(traces.range.to)).toBe(firedAt + 900_000);
      const logs = pane('logs');
      expect(logs).toMatchObject({
        datasource: 'victorialogs',
        queries: [{ queryType: 'instant', expr: `"service.name":="${job}" severity_text:in(warn, error)` }],
      });
      expect(email.text).toMatch(
        /^ {17}\(traces of requests to evidence-story that answered 503 on \/ep_two \(the commonest failure\), 15 minutes either side of the firing\)$/m,
      );
      expect(email.html).toContain('>Failed traces</a>');
      expectAgentLinksAsEmail(email, alert, { grafanaUrl: GRAFANA });
    });

    it('names the top functions of the profile taken while the alert was pending, and links it three ways; or says why there is none', async () => {
      const began = secondsAgo(60);
      const eventLoop = (job: string, profile: Record<string, string>) => ({
        labels: { alertname: 'EventLoopBlocked', severity: 'warning', job, instance: '10.0.0.7:3000' },
        annotations: {
          summary: `${job} 10.0.0.7:3000 blocks its event loop for 250ms (p99)`,
          description: 'The timers ran late.',
          runbook_url: runbookUrl('EventLoopBlocked'),
          profile_type: 'cpu',
          profile_top: '',
          profile_id: '',
          profile_problem: '',
          ...profile,
        },
        startsAt: began.toISOString(),
        generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=x',
      });
      const id = '20261208T010000Z-cpu-0123abcd';
      await postAlerts(alertmanager.url, [
        eventLoop('profiled-story', {
          profile_top: '87.12% checksum (dist/routes/runtime.js:42)\n5% (garbage collector)\n',
          profile_id: id,
        }),
        eventLoop('unprofiled-story', { profile_problem: '10.0.0.7:3000 did not answer: ECONNREFUSED' }),
        eventLoop('pending-story', {}),
      ]);
      const emailOf = (job: string) =>
        mail.waitForEmail(
          `the EventLoopBlocked email of ${job}`,
          (m) => m.subject.includes(` on ${job}:`),
          30_000,
        );
      const profiled = await emailOf('profiled-story');
      const profileUrl = `http://127.0.0.1:3200/profiles/${id}`;
      expect(profiled.text).toContain(
        [
          '  profile:       CPU, top functions by self time:',
          '                 87.12% checksum (dist/routes/runtime.js:42)',
          '                 5% (garbage collector)',
          `                 flame graph: ${profileUrl}/view`,
          `                 download:    ${profileUrl}/profile.cpuprofile (Chrome DevTools),`,
          `                              ${profileUrl}/profile.pb.gz (go tool pprof)`,
        ].join('\n'),
      );
      expect(profiled.html).toMatch(
        /87\.12% checksum \(dist\/routes\/runtime\.js:42\)\n5% \(garbage collector\)<\/div>/,
      );
      expect(profiled.html).toContain(`<a href="${profileUrl}/view">Flame graph</a>`);
      expect(profiled.html).toContain(`<a href="${profileUrl}/profile.pb.gz">pprof</a>`);
      expect((await emailOf('unprofiled-story')).text).toMatch(
        /^ {2}profile: {7}no profile: 10\.0\.0\.7:3000 did not answer: ECONNREFUSED$/m,
      );
      expect((await emailOf('pending-story')).text).toMatch(
        /^ {2}profile: {7}no profile: none taken before the alert fired \(the profile collector takes one while an alert is pending; is it running\?\)$/m,
      );
    });

    // These two wait 30 s each for group_interval: side by side (their alerts share no group).
    it.concurrent('mails each severity on its own: a critical resolving under a firing warning is two emails that agree', async () => {
      const job = 'latency-story';
      const began = secondsAgo(120);
      const ofJob = (m: { subject: string }) =>
        m.subject.includes(`HighLatencyP95`) && m.subject.includes(job);
      await postAlerts(alertmanager.url, [
        highLatency('warning', job, began),
        highLatency('critical', job, began),
      ]);
      await mail.waitForEmail(
        'the critical firing email',
        (m) => ofJob(m) && m.subject.startsWith('[FIRING:1] HighLatencyP95 (critical)'),
        30_000,
      );
      // The critical ends; the warning fires on, no longer inhibited.
      await postAlerts(alertmanager.url, [
        highLatency('warning', job, began),
        highLatency('critical', job, began, new Date()),
      ]);
      await mail.waitForEmail(
        'the critical resolved email',
        (m) =>
          ofJob(m) &&
          m.subject ===
            `[RESOLVED] HighLatencyP95 (critical) on ${job}: p95 latency of ${job} is back under 500ms`,
        60_000,
      );
      await mail.waitForEmail(
        'the warning firing email',
        (m) =>
          ofJob(m) &&
          m.subject ===
            `[FIRING:1] HighLatencyP95 (warning) on ${job}: p95 latency of ${job} is 612.0ms (over 250ms)`,
        60_000,
      );
      for (const email of (await mail.emails()).filter(ofJob)) {
        const severity = /\((warning|critical)\)/.exec(email.subject)?.[1];
        expect(severity, `a severity in "${email.subject}"`).toBeDefined();
        const severities = [...email.text.matchAll(/^ {2}severity: +(\S+)$/gm)].map((m) => m[1]);
        expect(severities.length, email.subject).toBeGreaterThan(0);
        expect(new Set(severities), email.subject).toEqual(new Set([severity]));
      }
    }, 120_000);

    it.concurrent('sends a firing email with when the condition began, the scrape error and the first steps', async () => {
      // Long enough ago that the resolution below (95 s after it began) is in the past.
      const began = secondsAgo(100);
      await postAlerts(alertmanager.url, [instanceDown('a:3000', began)]);
      const firing = await mail.waitForEmail(
        'the firing email',
        (m) => m.subject.startsWith('[FIRING') && m.subject.includes('InstanceDown'),
        20_000,
      );

      expect(firing.subject).toBe(
        '[FIRING:1] InstanceDown (critical) on webapp: webapp instance a:3000 is down',
      );
      expect(firing.to).toContain('oncall@example.com');
      const fired = printed(new Date(began.getTime() + 10_000));
      expect(firing.text).toContain('FIRING: webapp instance a:3000 is down\n');
      expect(firing.text).toMatch(/^ {2}severity: +critical$/m);
      expect(firing.text).toMatch(/^ {2}instance: +a:3000$/m);
      expect(firing.text).toMatch(
        new RegExp(`^ {2}began: +${printed(began)} \\(1m 4\\ds ago; alert fired ${fired}\\)$`, 'm'),
      );
      expect(firing.text).toMatch(
        /^ {2}scrape error: +connection refused; every target's last error: http:\/\/127\.0\.0\.1:9090\/api\/v1\/targets\?scrapePool=webapp&state=active$/m,
      );
      expect(firing.text).toMatch(
        /^ {2}description: +Prometheus could not scrape the webapp at a:3000 for more than 10 seconds\.$/m,
      );
      // The runbook's first steps, inline (from docs/runbooks.md through runbooks.tmpl).
      expect(firing.text).toMatch(
        /^ {2}first steps:\n {4}Confirm: Prometheus → Status → Targets .+\n {4}Act: restart it .+$/m,
      );
      expect(firing.text).toMatch(
        new RegExp(`^ {2}runbook: +${escapeRegExp(GRAFANA + runbookUrl('InstanceDown'))}$`, 'm'),
      );
      expect(firing.text).toMatch(new RegExp(`^ {2}dashboard: +${escapeRegExp(DASHBOARD)}$`, 'm'));

      expect(firing.html).toContain('webapp instance a:3000 is down');
      expect(firing.html).toContain(printed(began));
      // The scrape error's targets URL is a link, and the runbook's code spans are <code>, not backticks.
      expect(firing.html).toContain(
        'connection refused; <a href="http://127.0.0.1:9090/api/v1/targets?scrapePool=webapp&amp;state=active">every target\'s last error</a>',
      );
      expect(firing.html).toMatch(
        />\s*Confirm: Prometheus → Status → Targets \(<code>http:\/\/127\.0\.0\.1:9090\/targets<\/code>\)/,
      );
      expect(firing.html).toMatch(/<br>Act: /);
      // The Compose stack's steps (STACK defaults to compose), not those of make up-local.
      expect(firing.text).toContain('`docker compose up -d webapp`');
      expect(firing.text).not.toContain('make up-local');
      expect(firing.html).not.toContain('`');
      expect(firing.html).toContain(
        `href="${(GRAFANA + runbookUrl('InstanceDown')).replaceAll('&', '&amp;')}"`,
      );
      expect(firing.html).toContain(`href="${DASHBOARD}"`);
      for (const body of [firing.text, firing.html]) expect(body).not.toMatch(/<no value>|\$\{|\(none\)/);

      const resolvedAt = new Date(began.getTime() + 95_000);
      await postAlerts(alertmanager.url, [instanceDown('a:3000', began, resolvedAt)]);
      const resolved = await mail.waitForEmail(
        'the resolved email',
        (m) => m.subject.startsWith('[RESOLVED') && m.subject.includes('InstanceDown'),
        45_000,
      );
      expect(resolved.subject).toBe(
        '[RESOLVED] InstanceDown (critical) on webapp: webapp instance a:3000 is up again',
      );
      expect(resolved.text).toContain('RESOLVED: webapp instance a:3000 is up again\n');
      expect(resolved.text).toMatch(new RegExp(`^ {2}began: +${printed(began)}$`, 'm'));
      // How long the condition lasted: from when it began, not from when the alert fired.
      expect(resolved.text).toMatch(new RegExp(`^ {2}resolved: +${printed(resolvedAt)}, after 1m 35s$`, 'm'));
      expect(resolved.text).toMatch(/^ {2}while firing: +webapp instance a:3000 is down$/m);
      // Nothing that reads as if it were still happening.
      expect(resolved.text).not.toMatch(/description:|scrape error:|first steps:|^FIRING/m);
      expect(resolved.html).toContain('webapp instance a:3000 is up again');
      expect(resolved.html).toContain('after 1m 35s');
      expect(resolved.html).not.toContain('First steps');
    }, 70_000);

    it('leaves the instance out of a job-level alert', async () => {
      await postAlerts(alertmanager.url, [highRequestVolume(secondsAgo(20))]);
      const firing = await mail.waitForEmail(
        'the HighRequestVolume email',
        (m) => m.subject.includes('HighRequestVolume'),
        20_000,
      );
      expect(firing.subject).toBe(
        '[FIRING:1] HighRequestVolume (warning) on webapp: High request volume on webapp: 40.0 req/s',
      );
      expect(firing.text).not.toMatch(/instance:/);
      expect(firing.html).not.toMatch(/>Instance</);
      expect(firing.text).toMatch(
        /^ {4}Confirm: dashboard panels "Request rate" and "Request rate by route"/m,
      );
      expect(firing.text).not.toMatch(/scrape error:/);
    });

    it('inhibits an instance’s other alerts while it is down, and a warning under its critical', async () => {
      await postAlerts(alertmanager.url, [
        instanceDown('b:3000', secondsAgo(20)),
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

describe.skipIf(!alertmanagerBinary)(
  'Alertmanager where no Grafana runs (GRAFANA_URL empty, STACK=local, as make up-local)',
  () => {
    it('leaves out the links into Grafana, says where the runbook is, and gives the steps of make up-local', async () => {
      await withAlertmanager({ GRAFANA_URL: '', STACK: 'local' }, async (alertmanager, mail) => {
        await postAlerts(alertmanager.url, [instanceDown('a:3000', secondsAgo(20))]);
        const firing = await mail.waitForEmail(
          'the firing email',
          (m) => m.subject.startsWith('[FIRING'),
          20_000,
        );
        for (const body of [firing.text, firing.html]) {
          expect(body).not.toContain('/d/fos-');
          expect(body).not.toContain('127.0.0.1:3000');
          expect(body).toContain('docs/runbooks.md, section InstanceDown');
        }
        expect(firing.text).toMatch(/^ {4}Confirm: Prometheus → Status → Targets/m);
        expect(firing.text).toMatch(/^ {4}Act: type `start` in the `make up-local` terminal/m);
        expect(firing.text).toContain('Type `status` in the `make up-local` terminal');
        for (const body of [firing.text, firing.html]) expect(body).not.toContain('docker compose');
        expect(firing.html).not.toMatch(/>Dashboard</);
        // The evidence of a slow service goes to the backends' query APIs instead (JAEGER_URL,
        // VICTORIALOGS_URL), over the 15 minutes either side of the firing.
        const began = secondsAgo(60);
        const slowAlert = highLatency('critical', 'evidence-local', began);
        await postAlerts(alertmanager.url, [slowAlert]);
        const slow = await mail.waitForEmail(
          'the HighLatencyP95 email',
          (m) => m.subject.includes('HighLatencyP95') && m.subject.includes('evidence-local'),
          20_000,
        );
        const firedS = (began.getTime() + 60_000) / 1000;
        const traces = new URL(/^ {2}traces: +(\S+)$/m.exec(slow.text)?.[1] ?? 'http://missing');
        expect(`${traces.origin}${traces.pathname}`).toBe('http://127.0.0.1:16686/api/traces');
        expect(Object.fromEntries(traces.searchParams)).toEqual({
          service: 'evidence-local',
          limit: '20',
          start: `${firedS - 900}000000`,
          end: `${firedS + 900}000000`,
          minDuration: '500ms',
        });
        const logs = new URL(/^ {2}logs: +(\S+)$/m.exec(slow.text)?.[1] ?? 'http://missing');
        expect(`${logs.origin}${logs.pathname}`).toBe('http://127.0.0.1:9428/select/logsql/query');
        expect(logs.searchParams.get('query')).toBe(
          '"service.name":="evidence-local" severity_text:in(warn, error)',
        );
        expectAgentLinksAsEmail(slow, slowAlert, {
          jaegerUrl: 'http://127.0.0.1:16686',
          victoriaLogsUrl: 'http://127.0.0.1:9428',
        });
      });
    }, 45_000);
  },
);

describe.skipIf(!alertmanagerBinary)(
  'Alertmanager of Compose without Grafana (COMPOSE_PROFILES empty: GRAFANA_URL empty, STACK=compose)',
  () => {
    it("links the evidence to Jaeger's search page and VictoriaLogs, and gives a service of the user's its own steps", async () => {
      await withAlertmanager({ GRAFANA_URL: '', STACK: 'compose' }, async (alertmanager, mail) => {
        const began = secondsAgo(60);
        const alert = highErrorRatio('evidence-compose', began);
        await postAlerts(alertmanager.url, [alert]);
        const failing = await mail.waitForEmail(
          'the HighErrorRatio email',
          (m) => m.subject.includes('HighErrorRatio') && m.subject.includes('evidence-compose'),
          20_000,
        );
        const firedS = (began.getTime() + 60_000) / 1000;
        // Jaeger's UI: its search page takes its API's parameters (/search -> /api/traces).
        const tracesLink = /^ {2}traces: +(\S+)$/m.exec(failing.text)?.[1] ?? 'http://missing';
        const traces = new URL(tracesLink);
        expect(`${traces.origin}${traces.pathname}`).toBe('http://127.0.0.1:16686/search');
        expect(Object.fromEntries(traces.searchParams)).toEqual({
          service: 'evidence-compose',
          limit: '20',
          start: `${firedS - 900}000000`,
          end: `${firedS + 900}000000`,
          lookback: 'custom',
          tags: '{"http.response.status_code":"503","http.route":"/ep_two"}',
        });
        expect(failing.html.replace(/&amp;/g, '&')).toContain(`href="${tracesLink}"`);
        const logs = new URL(/^ {2}logs: +(\S+)$/m.exec(failing.text)?.[1] ?? 'http://missing');
        expect(`${logs.origin}${logs.pathname}`).toBe('http://127.0.0.1:9428/select/logsql/query');
        for (const body of [failing.text, failing.html]) expect(body).not.toContain('127.0.0.1:3000');
        expectAgentLinksAsEmail(failing, alert, {
          jaegerPublicUrl: 'http://127.0.0.1:16686',
          victoriaLogsUrl: 'http://127.0.0.1:9428',
        });
        // The steps: the demo's for the stack's own webapp, the user's own for a job of theirs.
        await postAlerts(alertmanager.url, [
          instanceDown('a:3000', secondsAgo(20)),
          {
            ...instanceDown('host.docker.internal:3000', secondsAgo(20)),
            labels: {
              alertname: 'InstanceDown',
              severity: 'critical',
              job: 'orders',
              instance: 'host.docker.internal:3000',
            },
          },
        ]);
        const demo = await mail.waitForEmail(
          'the webapp InstanceDown email',
          (m) => m.subject.includes('InstanceDown') && m.subject.includes('on webapp'),
          20_000,
        );
        expect(demo.text).toMatch(/^ {4}Act: restart it \(`docker compose up -d webapp`\)/m);
        const own = await mail.waitForEmail(
          'the orders InstanceDown email',
          (m) => m.subject.includes('InstanceDown') && m.subject.includes('on orders'),
          20_000,
        );
        expect(own.text).toMatch(/^ {4}Confirm: .*`curl http:\/\/<instance>\/metrics`/m);
        expect(own.text).toMatch(/^ {4}Act: start it again the way it runs/m);
        for (const body of [own.text, own.html]) expect(body).not.toMatch(/docker compose \S+ (-d )?webapp/);
      });
    }, 60_000);
  },
);

/** Runs `body` against an Alertmanager of its own, rendered with `env`, mailing a maildev of its own. */
async function withAlertmanager(
  env: Record<string, string>,
  body: (alertmanager: RunningAlertmanager, mail: Maildev) => Promise<void>,
) {
  const mail = await Maildev.create();
  await mail.start();
  try {
    const alertmanager = await startAlertmanager(alertmanagerBinary as string, mail.smtpPort, env);
    try {
      await body(alertmanager, mail);
    } finally {
      await alertmanager.stop();
    }
  } finally {
    await mail.stop();
  }
}

/** A string as a literal in a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
