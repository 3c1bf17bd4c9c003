import { waitFor } from '@fos/stack/process';
import { parseExposition, sumSamples } from '@fos/stack/prom-text';
import type { Webapp } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import {
  DEMO_STACK_DASHBOARDS,
  evidenceRequest,
  expectEveryPanelHasData,
  expectEveryRecordingRuleHasData,
  expectEveryTraceAndLogPanelHasData,
  expectInstanceDownEmail,
  expectResolvedEmail,
  expectWebappTargetsUp,
  firingTimes,
  MEMORY_LIMIT_RULES,
  PUSHED_SERVICE_RULES,
} from '../support/acceptance.ts';
import { expectEveryLinkBothWays } from '../support/email-links.ts';
import { reportFigure } from '../support/report.ts';
import { withStack } from '../support/with-stack.ts';

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');

const seconds = (ms: number) => (ms / 1000).toFixed(1);

describe.skipIf(!binaries).concurrent('the real stack on 127.0.0.1', () => {
  it('scrapes every webapp, records every rule, fills every panel, and mails InstanceDown and its resolution', async () => {
    await withStack({ webapps: 2, mailWithoutGrafanaToo: true }, async (stack) => {
      const prometheus = stack.prometheus.client;
      const targets = await expectWebappTargetsUp(prometheus, 2, 30_000);
      expect(targets.map((t) => t.labels.instance).sort()).toEqual(stack.webapps.map((w) => w.target).sort());

      // Steady traffic until every rate window holds data (the longest is a minute and more).
      const trafficFrom = Date.now();
      await expectEveryRecordingRuleHasData(prometheus, 120_000, [
        ...PUSHED_SERVICE_RULES,
        ...MEMORY_LIMIT_RULES,
      ]);
      const panels = await expectEveryPanelHasData(
        prometheus,
        DEMO_STACK_DASHBOARDS,
        60_000,
        'webapp',
        MEMORY_LIMIT_RULES,
      );
      reportFigure(
        `${panels} panel queries returned data after ${seconds(Date.now() - trafficFrom)} s of steady traffic`,
      );
      const traceAndLogQueries = await expectEveryTraceAndLogPanelHasData(
        { jaegerUrl: stack.jaeger.queryUrl, victoriaLogsUrl: stack.victoriaLogs.url, prometheus },
        DEMO_STACK_DASHBOARDS,
        60_000,
      );
      expect(traceAndLogQueries).toBeGreaterThanOrEqual(2);

      // Steady traffic fires nothing but the Watchdog.
      const firing = await prometheus.query('ALERTS{alertstate="firing"}');
      expect(firing.map((a) => a.metric.alertname)).toEqual(['Watchdog']);

      const victim = stack.webapps[1] as Webapp;
      const killedAt = Date.now();
      victim.process?.signal('SIGKILL');
      const down = await expectInstanceDownEmail(stack.maildev, [victim.target]);
      const toEmail = Date.parse(down.time) - killedAt;
      reportFigure(`InstanceDown: SIGKILL to email ${seconds(toEmail)} s (target <= 30 s)`);
      expect(toEmail).toBeLessThanOrEqual(30_000);
      // Nothing listens on the port of a killed process: Prometheus' dial is refused.
      expect(down.text).toMatch(/^ {2}scrape error: +connection refused; /m);
      // "began" is when the condition began (the first failed scrape), the alert fires `for: 10s` later.
      const { began, fired } = firingTimes(down);
      reportFigure(
        `InstanceDown: SIGKILL to condition ${seconds(began - killedAt)} s, condition to alert ${seconds(fired - began)} s`,
      );
      expect(began).toBeGreaterThanOrEqual(killedAt - 1000);
      expect(began - killedAt).toBeLessThanOrEqual(11_000);
      expect(fired - began).toBeGreaterThanOrEqual(10_000);
      await expectEveryLinkBothWays(stack, down, 'InstanceDown');

      const restartedAt = Date.now();
      await victim.start();
      const resolved = await expectResolvedEmail(stack.maildev);
      reportFigure(
        `InstanceDown resolved: restart to email ${seconds(Date.parse(resolved.time) - restartedAt)} s`,
      );
      expect(resolved.text).toContain(victim.target);
    });
  }, 300_000);

  it('mails HighRequestVolume during a spike', async () => {
    await withStack(
      {
        generator: ['--scenario', 'spike', '--rate', '5', '--spike-rate', '40', '--spike-seconds', '90'],
        mailWithoutGrafanaToo: true,
      },
      async (stack) => {
        const spikeStartsAt = Date.now() + 15_000;
        const mail = await stack.maildev.waitForEmail(
          'the HighRequestVolume email',
          (m) => m.subject.includes('HighRequestVolume') && m.subject.startsWith('[FIRING'),
          120_000,
        );
        const mailedAt = Date.parse(mail.time);
        // The condition: the 30s request rate the alert reads first above its threshold.
        const series = await stack.prometheus.client.queryRange('job:http_requests:rate30s > 20', 180, 1);
        const firstTrue = Math.min(...(series[0]?.values ?? []).map(([t]) => t * 1000));
        expect(Number.isFinite(firstTrue)).toBe(true);
        reportFigure(
          `HighRequestVolume: condition to email ${seconds(mailedAt - firstTrue)} s (target <= 30 s), spike start to email ${seconds(mailedAt - spikeStartsAt)} s`,
        );
        expect(mailedAt - firstTrue).toBeLessThanOrEqual(30_000);
        expect(mail.subject).toMatch(
          /^\[FIRING:1\] HighRequestVolume \(warning\) on webapp: High request volume on webapp: \d+\.\d req\/s$/,
        );
        await expectEveryLinkBothWays(stack, mail, 'HighRequestVolume');
      },
    );
  }, 300_000);

  it('mails HighLatencyP95 when traffic leans on the slow routes', async () => {
    await withStack(
      { generator: ['--scenario', 'latency', '--rate', '10'], mailWithoutGrafanaToo: true },
      async (stack) => {
        const startedAt = Date.now();
        const mail = await stack.maildev.waitForEmail(
          'a HighLatencyP95 email',
          (m) => m.subject.includes('HighLatencyP95') && m.subject.startsWith('[FIRING'),
          240_000,
        );
        reportFigure(
          `HighLatencyP95: latency scenario start to email ${seconds(Date.parse(mail.time) - startedAt)} s (for: 1m)`,
        );
        expect(mail.subject).toMatch(
          /HighLatencyP95 \((critical|warning)\) on webapp: p95 latency of webapp is [\d.]+m?s \(over (500|250)ms\)$/,
        );
        // The evidence: the email's links, as the Grafana datasources (or the backends' own UIs)
        // would query them, lead to traces over the threshold and to the service's log lines.
        const threshold = /over (\d+)ms\)$/.exec(mail.subject)?.[1];
        expect(mail.text).toContain(
          `(traces over ${threshold}ms of webapp, 15 minutes either side of the firing)`,
        );
        expect(mail.html).toContain('>Traces over');
        await expectEveryLinkBothWays(stack, mail, 'HighLatencyP95');
      },
    );
  }, 300_000);

  it("mails HighErrorRatio whose links lead to that service's failed traces and its lines, with Grafana and without", async () => {
    // A failed request's server span carries its status code and route, by which the link searches:
    // Jaeger finds no span that arrived by OTLP by error=true.
    await withStack(
      { generator: ['--scenario', 'errors', '--rate', '10'], mailWithoutGrafanaToo: true },
      async (stack) => {
        const startedAt = Date.now();
        const mail = await stack.maildev.waitForEmail(
          'the HighErrorRatio email',
          (m) => m.subject.startsWith('[FIRING') && m.subject.includes('HighErrorRatio'),
          240_000,
        );
        reportFigure(
          `HighErrorRatio: errors scenario start to email ${seconds(Date.parse(mail.time) - startedAt)} s (for: 1m)`,
        );
        // The errors scenario fails the working routes on purpose: the commonest failure is a 500 of one.
        expect(mail.text).toMatch(
          /^ {17}\(traces of requests to webapp that answered 500 on \/ep_\w+ \(the commonest failure\), 15 minutes either side of the firing\)$/m,
        );
        const withoutGrafana = await expectEveryLinkBothWays(stack, mail, 'HighErrorRatio');
        // The search the link replaced finds none of them: the reason it was replaced.
        const request = new URL(
          evidenceRequest(/^ {2}traces: +(\S+)$/m.exec(withoutGrafana.text)?.[1] ?? '', {
            jaegerUrl: stack.jaeger.queryUrl,
            victoriaLogsUrl: stack.victoriaLogs.url,
          }),
        );
        request.searchParams.set('tags', JSON.stringify({ error: 'true' }));
        const byError = (await (await fetch(request)).json()) as { data: unknown[] };
        reportFigure(
          `HighErrorRatio: the same window searched by error=true finds ${byError.data.length} traces`,
        );
      },
    );
  }, 300_000);

  it('pages ErrorBudgetBurn under the budget-burn scenario, where no threshold alert fires', async () => {
    await withStack(
      { generator: ['--scenario', 'budget-burn', '--rate', '10'], mailWithoutGrafanaToo: true },
      async (stack) => {
        const startedAt = Date.now();
        const page = await stack.maildev.waitForEmail(
          'the ErrorBudgetBurn page',
          (m) => m.subject.startsWith('[FIRING') && m.subject.includes('ErrorBudgetBurn (critical)'),
          240_000,
        );
        reportFigure(
          `ErrorBudgetBurn: budget-burn scenario start to page email ${seconds(Date.parse(page.time) - startedAt)} s; as received: ${page.subject}\n${page.text.match(/^ {2}description: .*$/m)?.[0] ?? ''}`,
        );
        expect(page.subject).toMatch(
          /^\[FIRING:1\] ErrorBudgetBurn \(critical\) on webapp: webapp spends its requests-availability error budget \d+\.\dx as fast as 30 days allow$/,
        );
        const burn = Number(/budget (\d+\.\d)x/.exec(page.subject)?.[1]);
        // About 3% of the working routes fail, against a budget of 0.1%: 30x, give or take the
        // traffic's chance. The page takes 14.4x over 1h and 5m or 6x over 6h and 30m; a minute into
        // a fresh stack every window holds the same minute, so the 5m burn is over 6 either way.
        expect(burn).toBeGreaterThan(6);
        expect(burn).toBeLessThan(100);
        expect(page.text).toMatch(
          /^ {2}description: +99\.9% of requests to the routes of webapp meant to work must answer without a 5xx over 30 days \(SLO webapp-requests-availability\)\. Over the last 5 minutes [\d.]+% failed: \d+\.\dx the pace that spends the whole budget in 30 days\. /m,
        );
        expect(page.text).toMatch(/^ {2}runbook: +http:\S+\/d\/fos-runbooks\/alert-runbooks\?viewPanel=10$/m);
        expect(page.text).toMatch(
          /^ {2}dashboard: +http:\S+\/d\/fos-slo\/service-level-objectives\?var-service=webapp$/m,
        );
        expect(page.text).toMatch(
          /of the 30 days' budget is left; at this rate it is gone in |the budget is spent\./,
        );
        await expectEveryLinkBothWays(stack, page, 'ErrorBudgetBurn');
        // The ticket of the same SLO is muted by the page; the 5% threshold never crossed.
        const alerts = await stack.prometheus.client.query(
          'ALERTS{alertstate="firing", alertname=~"HighErrorRatio|ErrorBudgetBurn"}',
        );
        expect(alerts.map((a) => `${a.metric.alertname} ${a.metric.severity}`).sort()).toEqual([
          'ErrorBudgetBurn critical',
          'ErrorBudgetBurn warning',
        ]);
        const emails = await stack.maildev.emails();
        expect(emails.filter((m) => m.subject.includes('HighErrorRatio'))).toEqual([]);
        // While the page fires, it mutes the ticket. In the first seconds the ticket can fire alone: a
        // new status="500" series gives rate() nothing until its second sample, so the first windows
        // undercount the failures and the burn climbs through the ticket's 3x before the page's 14.4x.
        const tickets = emails.filter((m) => m.subject.includes('ErrorBudgetBurn (warning)'));
        for (const ticket of tickets)
          expect(Date.parse(ticket.time), ticket.subject).toBeLessThan(Date.parse(page.time));
      },
    );
  }, 300_000);

  it('still delivers an alert email when the mail catcher was down while it fired', async () => {
    await withStack({ generator: false }, async (stack) => {
      await stack.maildev.pause();
      stack.webapps[0]?.process?.signal('SIGKILL');
      // Wait until Alertmanager has tried to send and failed.
      await waitFor(
        'a failed email notification',
        async () => {
          const metrics = parseExposition(await (await fetch(`${stack.alertmanager.url}/metrics`)).text());
          // Summed over every series: since 0.28 a `reason` label splits it, each series starting at 0.
          const failed = sumSamples(metrics, 'alertmanager_notifications_failed_total', {
            integration: 'email',
          });
          return failed > 0 ? true : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      const backAt = Date.now();
      await stack.maildev.start();
      const mail = await stack.maildev.waitForEmail(
        'the InstanceDown email after the catcher came back',
        (m) => m.subject.includes('InstanceDown'),
        120_000,
      );
      reportFigure(`SMTP outage: catcher back to email ${seconds(Date.parse(mail.time) - backAt)} s`);
      expect(mail.subject).toMatch(/^\[FIRING:1\] InstanceDown/);
    });
  }, 300_000);

  it('SIGTERM under load: accepted requests complete, later ones are refused, nothing resets', async () => {
    await withStack({ generator: false }, async (stack) => {
      const webapp = stack.webapps[0] as Webapp;
      const generator = stack.startGenerator([
        '--rate',
        '150',
        '--weights',
        'ep_one=5,ep_two=3,ep_four=1,error=1',
        // A progress line every half second: the test sees refusals as they come.
        '--report-every',
        '0.5',
      ]);
      // Under load, not after a fixed delay: the generator's start-up time varies on a busy machine.
      await waitFor('400 completed requests', () =>
        (webapp.process?.log.match(/"msg":"request completed"/g)?.length ?? 0) >= 400 ? true : undefined,
      );
      webapp.process?.signal('SIGTERM');
      const exitCode = await webapp.process?.exited;
      // Until the generator has met the closed port, not a fixed wait.
      const logAtExit = generator.process.log.length;
      await waitFor('a refused request after the close', () =>
        /refused=[1-9]/.test(generator.process.log.slice(logAtExit)) ? true : undefined,
      );
      const { summary } = await generator.finish();
      // The server's side: every request it accepted (logged "incoming request") it completed.
      const lines = (webapp.process?.log ?? '')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; reqId?: string });
      const accepted = new Set(lines.filter((l) => l.msg === 'incoming request').map((l) => l.reqId));
      const completed = new Set(lines.filter((l) => l.msg === 'request completed').map((l) => l.reqId));
      expect(accepted.size).toBeGreaterThan(300);
      expect([...accepted].filter((id) => !completed.has(id))).toEqual([]);
      reportFigure(
        `SIGTERM under load: sent ${summary.sent}, accepted and completed ${accepted.size}, refused after close ${summary.refused}, retried ${summary.retried}, reset ${summary.failed.reset}, timeout ${summary.failed.timeout}`,
      );
      expect(exitCode).toBe(0);
      expect(summary.failed).toEqual({ timeout: 0, reset: 0, error: 0 });
      expect(summary.unexpected5xx).toBe(0);
      expect(summary.refused).toBeGreaterThan(0);
      expect(summary.statusClasses['2xx']).toBeGreaterThan(300);
      expect(summary.abandoned).toBe(0);
    });
  }, 120_000);
});
