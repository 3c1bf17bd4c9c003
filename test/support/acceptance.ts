// Checks shared by the local end-to-end suite (test/e2e) and the Docker Compose test (test/compose):
// the same assertions, against whatever addresses the stack under test has.

import type { Mail, MaildevApi } from '@fos/stack/maildev';
import { waitFor } from '@fos/stack/process';
import type { PrometheusClient } from '@fos/stack/prometheus';
import { expect } from 'vitest';
import { DEMO_COUNTER_DASHBOARD_UID } from '../../grafana/src/demo-counter-dashboard.ts';
import { SERVICE_DASHBOARD_UID } from '../../grafana/src/service-dashboard.ts';
import { SLO_DASHBOARD_UID } from '../../grafana/src/slo-dashboard.ts';
import { metricNames, panelQueries, substituteVariables, traceAndLogPanels } from './panels.ts';
import { alertRules, recordingRules, sloRecordingRules } from './repo.ts';

/** InstanceDown's runbook: a path under GRAFANA_URL (the "Alert runbooks" dashboard). */
const RUNBOOK_PATH = alertRules().find((r) => r.alert === 'InstanceDown')?.annotations?.runbook_url ?? '';

/** A time as the emails print it ("2006-01-02 15:04:05 UTC"), in ms. */
export function parsePrintedTime(text: string): number {
  return Date.parse(`${text.replace(' UTC', 'Z').replace(' ', 'T')}`);
}

export async function expectWebappTargetsUp(prometheus: PrometheusClient, count: number, timeoutMs = 60_000) {
  return waitFor(
    `${count} webapp targets up`,
    async () => {
      const found = await prometheus.targets('webapp');
      return found.length === count && found.every((t) => t.health === 'up') ? found : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

/** Waits until `missing` lists nothing (or `timeoutMs` passes), then asserts that it lists nothing. */
async function expectNoneMissing(what: string, missing: () => Promise<string[]>, timeoutMs: number) {
  let last: string[] = [];
  await waitFor(
    what,
    async () => {
      last = await missing();
      return last.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 2000 },
  ).catch(() => {});
  expect(last, what).toEqual([]);
}

/** The dashboards the demo stack fills: any service's (the webapp picked), and the demo's counter. */
export const DEMO_STACK_DASHBOARDS = [
  SERVICE_DASHBOARD_UID,
  SLO_DASHBOARD_UID,
  DEMO_COUNTER_DASHBOARD_UID,
] as const;

/** The rules only a service pushing by OTLP feeds: a stack without one leaves them empty. */
export const PUSHED_SERVICE_RULES = ['job:target_info:last_push_timestamp'];

/**
 * What exists only where a process reports the memory its container allows (Compose, Kubernetes):
 * the local stack's processes run without one, and report none.
 */
export const MEMORY_LIMIT_RULES = [
  'instance:process_memory_limit_bytes:max',
  'instance:process_resident_memory_per_limit:ratio',
];
/** A service that only pushes OpenTelemetry reports no heap limit (@fos/fastify-profiler does). */
export const HEAP_LIMIT_RULES = [
  'instance:nodejs_heap_size_limit_bytes:max',
  'instance:nodejs_heap_used_per_limit:ratio',
];

/**
 * Every recording rule returns data (but those `except` names), waiting up to `timeoutMs` for the
 * slowest window to fill.
 */
export async function expectEveryRecordingRuleHasData(
  prometheus: PrometheusClient,
  timeoutMs = 0,
  except: readonly string[] = [],
): Promise<void> {
  await expectNoneMissing(
    'every recording rule to return data',
    async () => {
      const missing: string[] = [];
      for (const rule of [...recordingRules(), ...sloRecordingRules()].filter(
        (r) => !except.includes(r.record),
      ))
        if ((await prometheus.query(rule.record)).length === 0) missing.push(rule.record);
      return missing;
    },
    timeoutMs,
  );
}

/**
 * Runs every panel query of the dashboards with the Service variable at `service` and the others at
 * "All", waiting up to `timeoutMs` for every one to return data; returns how many ran.
 */
export async function expectEveryPanelHasData(
  prometheus: PrometheusClient,
  dashboardUids: readonly string[],
  timeoutMs = 0,
  service = 'webapp',
  /** Recorded series that may be absent here: a query that reads one is left out. */
  exceptSeries: readonly string[] = [],
): Promise<number> {
  const queries = dashboardUids
    .flatMap((uid) => panelQueries(uid))
    .filter((q) => !exceptSeries.some((series) => metricNames(substituteVariables(q.expr)).includes(series)));
  await expectNoneMissing(
    'every panel to have data',
    async () => {
      const missing: string[] = [];
      for (const query of queries) {
        const expr = substituteVariables(query.expr, '1m', service);
        const data = query.instant ? await prometheus.query(expr) : await prometheus.queryRange(expr, 60);
        if (data.length === 0) missing.push(`panel "${query.panel}": ${expr}`);
      }
      return missing;
    },
    timeoutMs,
  );
  return queries.length;
}

/** Where the stack under test answers the queries of Grafana's Jaeger and VictoriaLogs datasources. */
export interface TraceAndLogBackends {
  /** Jaeger's query API (Grafana's Jaeger datasource URL). */
  jaegerUrl: string;
  /** VictoriaLogs (the VictoriaLogs datasource URL). */
  victoriaLogsUrl: string;
}

/**
 * Runs every Jaeger and VictoriaLogs panel query of the dashboards against the real backends as the
 * datasources send them (Jaeger search: GET /api/traces; VictoriaLogs instant: /select/logsql/query),
 * over the last `lookbackSeconds`, until each returns data or `timeoutMs` passes.
 */
export async function expectEveryTraceAndLogPanelHasData(
  backends: TraceAndLogBackends & {
    /** Where the dashboards' query_result variables are filled from (Grafana's Prometheus datasource). */
    prometheus: PrometheusClient;
  },
  dashboardUids: readonly string[],
  timeoutMs = 0,
  service = 'webapp',
  lookbackSeconds = 900,
): Promise<number> {
  const panels = dashboardUids.flatMap((uid) => traceAndLogPanels(uid));
  const queries = panels.flatMap((panel) => panel.targets.map((target) => ({ panel, target })));
  await expectNoneMissing(
    'every traces and logs panel to have data',
    async () => {
      const missing: string[] = [];
      const end = Date.now();
      const start = end - lookbackSeconds * 1000;
      for (const { panel, target } of queries) {
        if (panel.datasource.type === 'jaeger') {
          const params = new URLSearchParams({
            service: substituteVariables(target.service ?? '', '1m', service),
            limit: String(target.limit ?? 20),
            start: String(start * 1000),
            end: String(end * 1000),
            ...(target.minDuration ? { minDuration: target.minDuration } : {}),
          });
          if (target.tags) {
            // Its variables as Grafana fills them: a query_result() over the dashboard's range.
            let tags = substituteVariables(target.tags, '1m', service);
            for (const [name, variable] of Object.entries(panel.resultVariables)) {
              if (!tags.includes(`$${name}`)) continue;
              const expr = substituteVariables(variable.expr, '1m', service).replaceAll(
                '$__range',
                `${lookbackSeconds}s`,
              );
              const [sample] = await backends.prometheus.query(expr);
              const text = sample
                ? `${sample.metric.__name__ ?? ''}${JSON.stringify(sample.metric).replace(/"(\w+)":/g, '$1=')}`
                : '';
              tags = tags.replaceAll(`$${name}`, variable.regex.exec(text)?.[1] ?? '');
            }
            params.set('tags', JSON.stringify(logfmtTags(tags)));
          }
          const response = await fetch(`${backends.jaegerUrl}/api/traces?${params}`);
          const body = response.ok ? ((await response.json()) as { data: unknown[] }) : { data: [] };
          if (body.data.length === 0) missing.push(`panel "${panel.panel}": Jaeger /api/traces?${params}`);
        } else {
          const query = substituteVariables(target.expr ?? '', '1m', service);
          const response = await fetch(`${backends.victoriaLogsUrl}/select/logsql/query`, {
            method: 'POST',
            body: new URLSearchParams({
              query,
              start: new Date(start).toISOString(),
              end: new Date(end).toISOString(),
              limit: '10',
            }),
          });
          const text = response.ok ? await response.text() : '';
          if (text.trim() === '')
            missing.push(`panel "${panel.panel}": LogsQL ${query} (HTTP ${response.status})`);
        }
      }
      return missing;
    },
    timeoutMs,
  );
  return queries.length;
}

/** The Jaeger datasource's tags, logfmt (a=1 b="x y"), as the JSON object Jaeger's API takes. */
function logfmtTags(tags: string): Record<string, string> {
  const pairs = [...tags.matchAll(/([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)];
  return Object.fromEntries(pairs.map((m) => [m[1], m[2] ?? m[3] ?? '']));
}

/**
 * The backend request an alert's evidence link stands for: a Grafana Explore link's pane turned
 * into the query its datasource sends (Jaeger search: /api/traces; VictoriaLogs instant:
 * /select/logsql/query), or a link to a backend's API as it is.
 */
export function evidenceRequest(link: string, backends: TraceAndLogBackends): string {
  const url = new URL(link);
  if (url.pathname === '/search') {
    // Jaeger's UI: its search page asks its API with the page's own parameters.
    url.pathname = '/api/traces';
    url.searchParams.delete('lookback');
    return url.href;
  }
  if (url.pathname !== '/explore') return link;
  const [pane] = Object.values(JSON.parse(url.searchParams.get('panes') ?? '{}')) as {
    datasource: string;
    queries: Record<string, string | number>[];
    range: { from: string; to: string };
  }[];
  const query = pane?.queries[0] ?? {};
  const [from, to] = [Number(pane?.range.from), Number(pane?.range.to)];
  if (pane?.datasource === 'jaeger') {
    const params = new URLSearchParams({
      service: String(query.service),
      limit: String(query.limit ?? 20),
      start: String(from * 1000),
      end: String(to * 1000),
    });
    if (query.minDuration) params.set('minDuration', String(query.minDuration));
    if (query.tags) params.set('tags', JSON.stringify(logfmtTags(String(query.tags))));
    return `${backends.jaegerUrl}/api/traces?${params}`;
  }
  const params = new URLSearchParams({
    query: String(query.expr),
    start: String(from / 1000),
    end: String(to / 1000),
    limit: '100',
  });
  return `${backends.victoriaLogsUrl}/select/logsql/query?${params}`;
}

/**
 * Waits for the InstanceDown email and checks it. `instances` are the instance labels it may name;
 * `undefined` stands for none (Compose: a stopped container leaves DNS, and if its target vanishes
 * before the failed scrapes fire the alert, the alert names no instance).
 */
export async function expectInstanceDownEmail(
  mail: MaildevApi,
  instances: readonly (string | undefined)[],
  timeoutMs = 90_000,
  /**
   * Where the stack publishes Grafana, which the runbook link opens (PUBLISH_ADDRESS); false where no
   * Grafana runs, and the runbook is named by its section of docs/runbooks.md.
   */
  grafanaHost: string | false = '127.0.0.1',
): Promise<Mail> {
  const email = await mail.waitForEmail(
    'the InstanceDown email',
    (m) => m.subject.startsWith('[FIRING') && m.subject.includes('InstanceDown'),
    timeoutMs,
  );
  const subjects = instances.map(
    (instance) =>
      `[FIRING:1] InstanceDown (critical) on webapp: webapp instance ${instance ?? '(none discovered)'} is down`,
  );
  expect(subjects).toContain(email.subject);
  const named = instances.find((instance) => email.subject.includes(instance ?? '(none discovered)'));
  expect(email.text).toMatch(/^ {2}severity: +critical$/m);
  if (named)
    expect(email.text).toMatch(new RegExp(`^ {2}instance: +${named.replace(/[.()]/g, '\\$&')}$`, 'm'));
  else expect(email.text).not.toMatch(/^ {2}instance:/m);
  // Prometheus' own account of the failure, and the runbook's first steps inline.
  expect(email.text).toMatch(/^ {2}scrape error: +\S.*$/m);
  expect(email.text).toMatch(/^ {2}first steps:\n {4}Confirm: /m);
  if (grafanaHost === false) {
    expect(email.text).toMatch(/^ {2}runbook: +docs\/runbooks\.md, section InstanceDown /m);
    for (const body of [email.text, email.html]) expect(body).not.toContain('/d/fos-');
  } else {
    const runbook = RUNBOOK_PATH.replace(/[.?]/g, '\\$&');
    const host = grafanaHost.replace(/\./g, '\\.');
    expect(email.text).toMatch(new RegExp(`^ {2}runbook: +http://${host}:\\d+${runbook}$`, 'm'));
    expect(email.html).toContain(`${RUNBOOK_PATH}"`);
  }
  expect(email.to).toEqual(['oncall@example.com']);
  return email;
}

/** When the condition began and when the alert fired, as a firing email says, in ms. */
export function firingTimes(email: Mail): { began: number; fired: number } {
  const match = email.text.match(/^ {2}began: +(\S+ \S+ UTC) \(.+ ago; alert fired (\S+ \S+ UTC)\)$/m);
  if (!match) throw new Error(`no "began" line in:\n${email.text}`);
  return { began: parsePrintedTime(match[1] as string), fired: parsePrintedTime(match[2] as string) };
}

export function expectResolvedEmail(mail: MaildevApi, timeoutMs = 90_000): Promise<Mail> {
  return mail
    .waitForEmail('the resolved email', (m) => m.subject.startsWith('[RESOLVED] InstanceDown'), timeoutMs)
    .then((email) => {
      // A resolved email reads as resolved: what is over, when, and after how long. Compose: when the
      // stopped container's failed scrapes fired the alert and then its target left DNS, both the
      // instance's alert and the job's are over in one email, whose subject then has no headline.
      expect(email.subject).toMatch(
        /^\[RESOLVED\] InstanceDown \(critical\) on webapp(: (webapp instance \S+ is up again|A webapp target is discovered again \(or the job has been gone for an hour and is forgotten\)))?$/,
      );
      const resolved = Number(/^(\d+) resolved:$/m.exec(email.text)?.[1]);
      expect(resolved, email.text).toBe(email.subject.includes(': ') ? 1 : 2);
      expect(email.text).toMatch(/^ {2}resolved: +\S+ \S+ UTC, after (\d+m )?\d+s$/m);
      expect(email.text).toMatch(/^ {2}while firing: +.* is down$/m);
      expect(email.text).not.toMatch(/^ {2}(description|scrape error|first steps):/m);
      return email;
    });
}
