// A user's own services on the real stack, beside the demo webapp, with no edit of a rule or a
// dashboard: two written the way a user writes theirs (examples/otel-fastify: OpenTelemetry only,
// pushing OTLP), and one scraped from the targets file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import { freePort, ManagedProcess, waitFor } from '@fos/stack/process';
import type { PrometheusClient } from '@fos/stack/prometheus';
import { Stack, Webapp } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { healthQueries } from '@fos/telex-integration/health-report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_DASHBOARD_UID } from '../../grafana/src/service-dashboard.ts';
import {
  expectEveryPanelHasData,
  expectEveryRecordingRuleHasData,
  HEAP_LIMIT_RULES,
  MEMORY_LIMIT_RULES,
} from '../support/acceptance.ts';
import { expectEveryLinkBothWays } from '../support/email-links.ts';
import { reportFigure } from '../support/report.ts';

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');
const EXAMPLE = repoPath('examples/otel-fastify/src');
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The example service, configured only by the OTEL_* variables its README gives: metrics, traces and logs. */
class PushedService {
  readonly process: ManagedProcess;
  readonly url: string;
  #traffic: NodeJS.Timeout | undefined;

  constructor(name: string, port: number, stack: Stack) {
    this.url = `http://127.0.0.1:${port}`;
    this.process = new ManagedProcess(
      name,
      process.execPath,
      ['--import', join(EXAMPLE, 'telemetry.ts'), join(EXAMPLE, 'server.ts')],
      {
        PATH: process.env.PATH,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        OTEL_SERVICE_NAME: name,
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_SEMCONV_STABILITY_OPT_IN: 'http',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${stack.prometheus.url}/api/v1/otlp/v1/metrics`,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: stack.jaeger.otlpTracesUrl,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: stack.victoriaLogs.otlpLogsUrl,
      },
    );
  }

  /** Requests to `path` every 100 ms (10 req/s), in place of any earlier traffic. */
  send(path: string): void {
    clearInterval(this.#traffic);
    this.#traffic = setInterval(() => {
      fetch(`${this.url}${path}`).then(
        (response) => response.body?.cancel(),
        () => {},
      );
    }, 100);
  }

  stopTraffic(): void {
    clearInterval(this.#traffic);
  }
}

async function firing(prometheus: PrometheusClient, alertname: string): Promise<string[]> {
  const alerts = await prometheus.query(`ALERTS{alertname="${alertname}", alertstate="firing"}`);
  return alerts.map((a) => a.metric.job ?? '').sort();
}

describe.skipIf(!binaries).concurrent('your own services on the real stack', () => {
  let stack: Stack;
  let targetsDir: string;
  let orders: PushedService;
  let payments: PushedService;
  let billing: Webapp;
  let ordersKilledAt = 0;

  beforeAll(async () => {
    targetsDir = await mkdtemp(join(tmpdir(), 'fos-targets-'));
    await writeFile(join(targetsDir, 'services.yml'), '[]\n');
    stack = await Stack.start({ targetsDir, mailWithoutGrafanaToo: true });
    orders = new PushedService('orders', await freePort(), stack);
    payments = new PushedService('payments', await freePort(), stack);
    await Promise.all([orders, payments].map((s) => s.process.waitReady(`${s.url}/health`, 20_000)));
    orders.send('/orders/1');
    payments.send('/orders/1');
  }, 60_000);

  afterAll(async () => {
    for (const service of [orders, payments]) service?.stopTraffic();
    await Promise.all([orders?.process.stop(), payments?.process.stop(), billing?.stop(), stack?.stop()]);
    await rm(targetsDir, { recursive: true, force: true });
  });

  const prometheus = () => stack.prometheus.client;
  const fail = (error: unknown) => {
    const logs = [orders, payments].map(
      (s) => `----- ${s.process.name} -----\n${s.process.log.slice(-5000)}`,
    );
    (error as Error).message += `\n\nprocess logs:\n${stack.logs()}${logs.join('\n')}`;
    throw error;
  };

  it('alerts within a minute on a pushed service that stops, and keeps alerting 6 minutes on', async () => {
    try {
      await waitFor(
        'orders in the Service menu',
        async () =>
          (await prometheus().query('job:http_requests:rate1m{job="orders"}')).length > 0 || undefined,
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      orders.stopTraffic();
      orders.process.signal('SIGKILL');
      ordersKilledAt = Date.now();
      await waitFor(
        'MetricsPushStopped for orders',
        async () => (await firing(prometheus(), 'MetricsPushStopped')).includes('orders') || undefined,
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      const fired = Date.now() - ordersKilledAt;
      reportFigure(
        `own service: MetricsPushStopped fired ${seconds(fired)} s after the pushed service was killed`,
      );
      expect(fired).toBeLessThan(60_000);
      const email = await stack.maildev.waitForEmail(
        'the MetricsPushStopped email',
        (m) =>
          m.subject.startsWith('[FIRING:1] MetricsPushStopped (critical) on orders: orders stopped pushing'),
        60_000,
      );
      expect(email.text).toContain('service-overview?var-service=orders');
      await expectEveryLinkBothWays(stack, email, 'MetricsPushStopped', 'orders');
      // The Telex report's instances: a pushed service that stopped is down, within the lookback.
      const reported = await prometheus().query(healthQueries('orders').up);
      expect(reported.map((s) => s.value[1])).toEqual(['0']);
      // Past the 5-minute lookback that would have dropped its last samples.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ordersKilledAt + 370_000 - Date.now())));
      expect(await firing(prometheus(), 'MetricsPushStopped')).toEqual(['orders']);
      reportFigure(
        `own service: MetricsPushStopped still firing ${seconds(Date.now() - ordersKilledAt)} s after the kill`,
      );
    } catch (error) {
      fail(error);
    }
  }, 480_000);

  it('shows a pushed service on every panel, and fires HighErrorRatio for it alone', async () => {
    try {
      // Every rule returns data with a pushed service running (orders, until the test above kills it).
      await expectEveryRecordingRuleHasData(prometheus(), 120_000, MEMORY_LIMIT_RULES);
      // All but the limits, which a service that only pushes OpenTelemetry does not report.
      const panels = await expectEveryPanelHasData(
        prometheus(),
        [SERVICE_DASHBOARD_UID],
        150_000,
        'payments',
        [...MEMORY_LIMIT_RULES, ...HEAP_LIMIT_RULES],
      );
      reportFigure(`own service: ${panels} panel queries returned data for the pushed service "payments"`);
      const services = (await prometheus().query('group by (job) (job:http_requests:rate1m)')).map(
        (s) => s.metric.job,
      );
      expect(services).toEqual(expect.arrayContaining(['payments', 'webapp']));
      const reported = await prometheus().query(healthQueries('payments').up);
      expect(
        reported.map((s) => s.value[1]),
        'the Telex report sees payments up',
      ).toEqual(['1']);

      payments.send('/orders/abc');
      const failingFrom = Date.now();
      const email = await stack.maildev.waitForEmail(
        'the HighErrorRatio email for payments',
        (m) => m.subject.startsWith('[FIRING:1] HighErrorRatio (critical) on payments:'),
        180_000,
      );
      reportFigure(
        `own service: HighErrorRatio email for payments ${seconds(Date.now() - failingFrom)} s after it began failing`,
      );
      expect(email.subject).toContain('of requests to the working routes of payments fail');
      expect(email.text).toContain('service-overview?var-service=payments');
      // Its traces link finds its own failed requests: the example's spans carry the status code and
      // route by OpenTelemetry's conventions, as any instrumented service's do; its logs link, its lines.
      expect(email.text).toContain('traces of requests to payments that answered 500 on /orders/:id');
      await expectEveryLinkBothWays(stack, email, 'HighErrorRatio', 'payments');
      expect(await firing(prometheus(), 'HighErrorRatio')).toEqual(['payments']);
      expect(await firing(prometheus(), 'MetricsPushStopped')).not.toContain('payments');
    } catch (error) {
      fail(error);
    }
  }, 420_000);

  it('scrapes a service added to the targets file while the stack runs, and mails its InstanceDown and resolution', async () => {
    try {
      billing = await Webapp.launch();
      await writeFile(
        join(targetsDir, 'services.yml'),
        `- targets: ['${billing.target}']\n  labels:\n    job: billing\n`,
      );
      const addedAt = Date.now();
      await waitFor(
        'billing scraped from the targets file',
        async () => {
          const targets = await prometheus().targets('targets-file');
          return targets.some((t) => t.labels.job === 'billing' && t.health === 'up') || undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      reportFigure(
        `own service: a target added to the targets file was scraped ${seconds(Date.now() - addedAt)} s later`,
      );

      await billing.stop();
      const stoppedAt = Date.now();
      const down = await stack.maildev.waitForEmail(
        'the InstanceDown email for billing',
        (m) =>
          m.subject ===
          `[FIRING:1] InstanceDown (critical) on billing: billing instance ${billing.target} is down`,
        90_000,
      );
      reportFigure(
        `own service: InstanceDown email for billing ${seconds(Date.now() - stoppedAt)} s after it stopped`,
      );
      expect(down.text).toContain('connection refused');
      expect(down.text).toContain('scrapePool=targets-file');
      // The steps are a service of the user's, not the demo's commands.
      expect(down.text).toMatch(/^ {4}Act: start it again the way it runs/m);
      expect(down.text).not.toContain('docker compose up -d webapp');
      await expectEveryLinkBothWays(stack, down, 'InstanceDown', 'billing');

      await billing.start(20_000);
      await stack.maildev.waitForEmail(
        'the resolved email for billing',
        (m) =>
          m.subject ===
          `[RESOLVED] InstanceDown (critical) on billing: billing instance ${billing.target} is up again`,
        120_000,
      );
    } catch (error) {
      fail(error);
    }
  }, 300_000);
});
