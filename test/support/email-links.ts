// Follows every link of an alert email as its recipient gets it, and requires data that belongs to
// that alert: the runbook is that alert's section, the dashboard is that service's, the traces are
// that service's (slow or failed as the email says), the logs are its lines, the query returns the
// alert's series, the Alertmanager link shows the alert, the profile is the instance's. Grafana is
// not run here (AGPL): a link into it is checked against the provisioned dashboards, and an Explore
// link is run as its datasource sends it (evidenceRequest).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  type CpuProfile,
  describeTop,
  type HeapProfile,
  topCpuFunctions,
  topHeapFunctions,
} from '@fos/fastify-profiler';
import type { Mail } from '@fos/stack/maildev';
import type { PrometheusClient } from '@fos/stack/prometheus';
import type { Stack } from '@fos/stack/stack';
import { expect } from 'vitest';
import { evidenceRequest, type TraceAndLogBackends } from './acceptance.ts';
import { committedDashboards } from './panels.ts';
import { repoPath } from './repo.ts';
import { reportFigure } from './report.ts';

const dashboards = Object.values(committedDashboards());

export interface EmailLinkContext {
  alertname: string;
  job: string;
  prometheus: PrometheusClient;
  backends: TraceAndLogBackends;
  /** The login Prometheus and Alertmanager ask for beyond 127.0.0.1, if any. */
  authorization?: string;
}

interface JaegerTrace {
  traceID: string;
  spans: { duration: number; processID: string; tags: { key: string; value: unknown }[] }[];
  processes: Record<string, { serviceName: string }>;
}

/** The text email's `name:` line of the first alert, or undefined. */
function line(email: Mail, name: string): string | undefined {
  return new RegExp(`^ {2}${name}: +(\\S.*)$`, 'm').exec(email.text)?.[1];
}

async function fetchOk(url: string, authorization?: string): Promise<Response> {
  const response = await fetch(url, authorization ? { headers: { authorization } } : {});
  expect(response.status, url).toBe(200);
  return response;
}

/**
 * Follows each link of `email` (its text body; the HTML body carries the same ones) and returns a
 * line per link: the link as received, and what it returned.
 */
export async function expectEveryLinkLeadsToData(email: Mail, context: EmailLinkContext): Promise<string[]> {
  const { alertname, job } = context;
  const said: string[] = [];
  const runbook = line(email, 'runbook') ?? '';
  if (runbook.startsWith('http')) {
    const url = new URL(runbook);
    const board = dashboards.find((d) => url.pathname.startsWith(`/d/${d.uid}/`));
    const panel = board?.panels.find((p) => p.id === Number(url.searchParams.get('viewPanel')));
    expect(panel?.title, runbook).toBe(alertname);
    said.push(`runbook: ${runbook} -> "${board?.title}" panel ${panel?.id}, "${panel?.title}"`);
  } else {
    // Without Grafana: the section of docs/runbooks.md, named.
    expect(runbook).toMatch(new RegExp(`^docs/runbooks\\.md, section ${alertname} `));
    expect(readFileSync(repoPath('docs/runbooks.md'), 'utf8')).toContain(`\n## ${alertname}\n`);
    said.push(`runbook: "${runbook}" -> docs/runbooks.md has "## ${alertname}"`);
  }

  const dashboard = line(email, 'dashboard');
  if (dashboard) {
    const url = new URL(dashboard);
    const board = dashboards.find((d) => url.pathname.startsWith(`/d/${d.uid}/`));
    expect(board, dashboard).toBeDefined();
    const service = url.searchParams.get('var-service') ?? '';
    expect(service, dashboard).toBe(job);
    // The service menu offers it: the variable's label_values() query, run against Prometheus.
    const query = board?.templating?.list.find((v) => v.name === 'service')?.query;
    const variable = (typeof query === 'string' ? query : query?.query) ?? '';
    const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(variable) ?? [];
    const offered = (await context.prometheus.query(`group by (${label}) (${selector})`)).map(
      (s) => s.metric[label as string],
    );
    expect(offered, variable).toContain(service);
    said.push(`dashboard: ${dashboard} -> "${board?.title}", its service menu offers ${offered.join(', ')}`);
  } else {
    expect(runbook.startsWith('http'), 'a dashboard link wherever a runbook link is').toBe(false);
  }

  const traces = line(email, 'traces');
  if (traces) {
    const request = evidenceRequest(traces, context.backends);
    const found = ((await (await fetchOk(request)).json()) as { data: JaegerTrace[] }).data;
    expect(found.length, request).toBeGreaterThan(0);
    const what = /^ {17}\((.+), 15 minutes either side of the firing\)$/m.exec(email.text)?.[1] ?? '';
    const failure = /answered (\d{3})(?: on (\S+))? \(/.exec(what);
    const slowerThanMs = Number(/^traces over (\d+)ms/.exec(what)?.[1] ?? Number.NaN);
    for (const trace of found) {
      const ofService = trace.spans.filter((span) => trace.processes[span.processID]?.serviceName === job);
      expect(ofService.length, `trace ${trace.traceID} has spans of ${job}`).toBeGreaterThan(0);
      if (failure) {
        const [, status, route] = failure;
        const failed = ofService.filter((span) => {
          const tag = (key: string) => span.tags.find((t) => t.key === key)?.value;
          return (
            String(tag('http.response.status_code')) === status && (!route || tag('http.route') === route)
          );
        });
        expect(
          failed.length,
          `trace ${trace.traceID}: a ${job} span that answered ${status}`,
        ).toBeGreaterThan(0);
      } else {
        expect(Number.isFinite(slowerThanMs), what).toBe(true);
        // Jaeger's durations are microseconds.
        expect(Math.max(...ofService.map((span) => span.duration))).toBeGreaterThanOrEqual(
          slowerThanMs * 1000,
        );
      }
    }
    said.push(
      `traces: ${traces}\n    -> ${found.length} traces of ${job} (${what}), e.g. ${found[0]?.traceID}`,
    );
  }

  const logs = line(email, 'logs');
  if (logs) {
    const request = evidenceRequest(logs, context.backends);
    const lines = (await (await fetchOk(request)).text())
      .split('\n')
      .filter(Boolean)
      .map((text) => JSON.parse(text) as Record<string, string>);
    expect(lines.length, request).toBeGreaterThan(0);
    for (const found of lines) expect(found['service.name']).toBe(job);
    const example = lines.find((l) => l.trace_id) ?? lines[0];
    said.push(
      `logs: ${logs}\n    -> ${lines.length} lines of ${job}, e.g. ${example?.severity_text} "${example?._msg}"${example?.trace_id ? ` (trace ${example.trace_id})` : ''}`,
    );
  }

  const flameGraph = /^ {17}flame graph: (\S+)$/m.exec(email.text)?.[1];
  if (flameGraph) said.push(...(await expectProfileLinksLeadToIt(email, flameGraph)));

  // The query: Prometheus' graph of the alert's expression, which returns the alert's series.
  const source = line(email, 'source') ?? '';
  const expr = new URL(source).searchParams.get('g0.expr') ?? '';
  const series = await context.prometheus.query(expr);
  expect(series.length, expr).toBeGreaterThan(0);
  if (series.some((s) => s.metric.job)) expect(series.map((s) => s.metric.job)).toContain(job);
  said.push(
    `source: ${source}\n    -> ${series.length} series, e.g. ${JSON.stringify(series[0]?.metric)} = ${series[0]?.value[1]}`,
  );

  const targets = /every target's last error: (\S+)$/m.exec(email.text)?.[1];
  if (targets) {
    const active = (
      (await (await fetchOk(targets, context.authorization)).json()) as {
        data: { activeTargets: { labels: { job: string }; lastError: string }[] };
      }
    ).data.activeTargets;
    expect(active.map((t) => t.labels.job)).toContain(job);
    const failing = active.find((t) => t.labels.job === job && t.lastError);
    said.push(
      `scrape error: ${targets}\n    -> ${active.length} targets, e.g. lastError "${failing?.lastError ?? ''}"`,
    );
  }

  // The footer: the Alertmanager that sent it, which holds the alert. Its UI is the official image's
  // (the binary built here from the Go module has none): its API, which the UI reads, answers here.
  const alertmanager = /^Alertmanager: (\S+)$/m.exec(email.text)?.[1] ?? '';
  const held = (await (
    await fetchOk(
      `${alertmanager}/api/v2/alerts?filter=alertname%3D%22${alertname}%22`,
      context.authorization,
    )
  ).json()) as { labels: Record<string, string> }[];
  expect(held.map((a) => a.labels.job)).toContain(job);
  said.push(`Alertmanager: ${alertmanager} -> holds ${held.length} ${alertname} alert(s) of ${job}`);
  return said;
}

/** The functions the email's profile lines name, in their order. */
export function profileFunctions(email: Mail): string[] {
  const block = /^ {2}profile: {7}.*:\n((?: {17}\d[\d.]*% .*\n)+)/m.exec(email.text)?.[1] ?? '';
  return [...block.matchAll(/^ {17}[\d.]+% (\S+)/gm)].map((m) => m[1] as string);
}

/**
 * The profile an email links: its record names the instance of the alert, the .cpuprofile (or
 * .heapprofile) parses and its top function is the email's first, the pprof is a gzipped protocol
 * buffer, and the flame-graph link opens the viewer on that profile.
 */
async function expectProfileLinksLeadToIt(email: Mail, flameGraph: string): Promise<string[]> {
  const base = flameGraph.replace(/\/view$/, '');
  const record = (await (await fetchOk(base)).json()) as {
    type: 'cpu' | 'heap';
    instance: string;
    workingDirectory: string;
  };
  expect(record.instance).toBe(line(email, 'instance'));
  const devtools = /download: +(\S+) \(Chrome DevTools\)/.exec(email.text)?.[1] ?? '';
  const profile = (await (await fetchOk(devtools)).json()) as CpuProfile & HeapProfile;
  const top =
    record.type === 'cpu'
      ? topCpuFunctions(profile, 3, record.workingDirectory)
      : topHeapFunctions(profile, 3, record.workingDirectory);
  expect(top[0]?.function, devtools).toBe(profileFunctions(email)[0]);
  const pprofUrl = /^ {30}(\S+\.pb\.gz) \(go tool pprof\)$/m.exec(email.text)?.[1] ?? '';
  const pprof = gunzipSync(Buffer.from(await (await fetchOk(pprofUrl)).arrayBuffer()));
  expect(pprof.length, pprofUrl).toBeGreaterThan(0);
  const view = await fetch(flameGraph, { redirect: 'manual' });
  expect(view.status, flameGraph).toBe(302);
  const viewer = new URL(view.headers.get('location') ?? '', flameGraph);
  expect(new URLSearchParams(viewer.hash.slice(1)).get('profileURL')).toBe(new URL(devtools).pathname);
  expect(await (await fetchOk(viewer.href)).text()).toContain('speedscope');
  return [
    `flame graph: ${flameGraph}\n    -> ${viewer.pathname}${viewer.hash.slice(0, 60)}... (speedscope)`,
    `download: ${devtools}\n    -> ${record.type} profile of ${record.instance}, top: ${describeTop(top).join(', ')}`,
    `pprof: ${pprofUrl}\n    -> ${pprof.length} bytes of protocol buffer`,
  ];
}

/**
 * Follows every link of `email` (the stack's, with Grafana's links) and of the same alert's email
 * as Compose without Grafana sends it (the stack's third Alertmanager), and reports what each gave.
 */
export async function expectEveryLinkBothWays(stack: Stack, email: Mail, alertname: string, job = 'webapp') {
  const context = {
    alertname,
    job,
    prometheus: stack.prometheus.client,
    backends: { jaegerUrl: stack.jaeger.queryUrl, victoriaLogsUrl: stack.victoriaLogs.url },
  };
  const severity = /^\[FIRING:\d+\] \w+ \((\w+)\)/.exec(email.subject)?.[1];
  const withoutGrafana = await (
    stack.withoutGrafana as NonNullable<Stack['withoutGrafana']>
  ).maildev.waitForEmail(
    `the ${alertname} email without Grafana`,
    (m) => m.subject.startsWith(`[FIRING`) && m.subject.includes(`] ${alertname} (${severity}) on ${job}`),
    60_000,
  );
  for (const [how, mail] of [
    ['Grafana on', email],
    ['Grafana off', withoutGrafana],
  ] as const) {
    const said = await expectEveryLinkLeadsToData(mail, context);
    reportFigure(`${alertname} email's links, ${how}, as received and followed:\n  ${said.join('\n  ')}`);
  }
  return withoutGrafana;
}
