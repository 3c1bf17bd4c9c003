import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExposition } from '@fos/stack/prom-text';
import { buildApp } from '@fos/webapp/app';
import { loadConfig } from '@fos/webapp/config';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DATASOURCE_UID } from '../../grafana/src/common.ts';
import { generatedFiles } from '../../grafana/src/dashboards.ts';
import { DEMO_COUNTER_DASHBOARD_UID } from '../../grafana/src/demo-counter-dashboard.ts';
import { K6_DASHBOARD_UID } from '../../grafana/src/k6-dashboard.ts';
import { RUNBOOKS_DASHBOARD_UID, readRunbooks } from '../../grafana/src/runbooks.ts';
import { SERVICE_DASHBOARD_UID } from '../../grafana/src/service-dashboard.ts';
import { SLO_DASHBOARD_UID } from '../../grafana/src/slo-dashboard.ts';
import {
  alertThresholds,
  checkDashboard,
  DATASOURCE_VARIABLE,
  type DashboardJson,
  INSTANCE_NOTE,
  RULES,
} from '../support/dashboard-check.ts';
import { composeTrendStats, k6SeriesNames } from '../support/k6-series.ts';
import { committedDashboards, metricNames, panelQueries, substituteVariables } from '../support/panels.ts';
import { alertRules, readYaml, recordingRules, repoPath, sloRecordingRules } from '../support/repo.ts';

/** Every metric name a panel may use: what a real webapp exposes, what the rules record, and Prometheus' own. */
async function knownMetricNames(): Promise<Set<string>> {
  const dir = await mkdtemp(join(tmpdir(), 'grafana-test-'));
  const app = await buildApp({
    config: loadConfig({ COUNTER_CHECKPOINT_PATH: join(dir, 'c.json') }),
    logger: false,
    sleep: async () => {},
  });
  try {
    await app.inject({ url: '/ep_one' });
    const exposition = parseExposition((await app.inject({ url: '/metrics' })).body);
    return new Set([
      ...exposition.samples.map((s) => s.name),
      ...recordingRules().map((r) => r.record),
      // What the rules read: a service's own histogram in either convention (OpenTelemetry's too).
      ...recordingRules().flatMap((r) => metricNames(r.expr)),
      ...sloRecordingRules().map((r) => r.record),
      'up',
      // Written by Prometheus' OTLP receiver for every push: the resource's attributes.
      'target_info',
      'ALERTS',
    ]);
  } finally {
    await app.close();
  }
}

describe('dashboards as code', () => {
  it('the committed files are exactly what the TypeScript generates (dashboards, runbooks template)', () => {
    const generated = generatedFiles();
    const committedJson = Object.keys(committedDashboards()).map((file) => `grafana/dashboards/${file}`);
    expect(committedJson.sort()).toEqual(
      Object.keys(generated)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    );
    for (const [path, content] of Object.entries(generated)) {
      expect(readFileSync(repoPath(path), 'utf8'), `${path}: run make dashboards`).toBe(content);
    }
  });

  it('has fixed uids and a datasource variable on every dashboard', () => {
    const dashboards = Object.values(committedDashboards());
    expect(dashboards.map((d) => d.uid).sort()).toEqual(
      [
        DEMO_COUNTER_DASHBOARD_UID,
        K6_DASHBOARD_UID,
        RUNBOOKS_DASHBOARD_UID,
        SERVICE_DASHBOARD_UID,
        SLO_DASHBOARD_UID,
      ].sort(),
    );
    for (const dashboard of dashboards) {
      const json = dashboard as unknown as {
        templating: { list: { name: string; type: string; query?: string }[] };
      };
      expect(json.templating.list.find((v) => v.name === 'datasource')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
      });
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference, not a JS template.
    expect(DATASOURCE_VARIABLE).toBe('${datasource}');
  });

  it('offers a Service variable, and instance and route variables, on the service dashboard', () => {
    const dashboard = committedDashboards()['service-overview.json'] as unknown as {
      templating: { list: { name: string; multi?: boolean; includeAll?: boolean; query?: string }[] };
    };
    // One service at a time, any that is scraped or pushes.
    expect(dashboard.templating.list.find((v) => v.name === 'service')).toMatchObject({
      query: 'label_values({__name__=~"up|target_info"}, job)',
    });
    for (const name of ['instance', 'route']) {
      expect(dashboard.templating.list.find((v) => v.name === name)).toMatchObject({
        multi: true,
        includeAll: true,
      });
    }
  });

  it('shows what the README promises', () => {
    const titles = Object.values(committedDashboards()).flatMap((d) => d.panels.map((p) => p.title));
    for (const title of [
      'Request rate',
      'Request rate by route',
      'Errors per second',
      'Error ratio',
      'Requests by status code (2m)',
      'Average response time by route',
      'Share of requests under 250 ms by route',
      'p50 latency by route',
      'p95 latency by route',
      'p99 latency by route',
      'CPU',
      'Memory',
      'Event-loop lag',
      'Firing alerts',
      'Counter',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it('every panel query parses as PromQL and names only metrics the stack produces', async () => {
    const known = await knownMetricNames();
    const k6Series = k6SeriesNames(composeTrendStats());
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(20);
    for (const query of queries) {
      const names = metricNames(substituteVariables(query.expr));
      expect(names.length, `${query.panel}: ${query.expr}`).toBeGreaterThan(0);
      for (const name of names) {
        // k6's series come from its remote write, by the names test/support/k6-series.ts derives.
        if (query.dashboard === K6_DASHBOARD_UID && name.startsWith('k6_')) {
          expect(k6Series, `${query.panel}: ${name}`).toContain(name);
          continue;
        }
        expect(known, `${query.panel}: ${name}`).toContain(name);
      }
    }
  });

  it('names k6 series as the remote-write output of the compose k6 service sends them', () => {
    const series = k6SeriesNames(composeTrendStats());
    expect(composeTrendStats()).toEqual(['p(50)', 'p(95)', 'p(99)', 'max']);
    for (const name of [
      'k6_http_reqs_total',
      'k6_http_req_failed_rate',
      'k6_vus',
      'k6_http_req_duration_p95',
    ])
      expect(series).toContain(name);
    // A stat the service does not ask for is not sent: a panel on it would stay empty.
    expect(series).not.toContain('k6_http_req_duration_p90');
    expect(series).not.toContain('k6_http_reqs');
    const k6Names = panelQueries(K6_DASHBOARD_UID).flatMap((q) => metricNames(substituteVariables(q.expr)));
    expect(k6Names.filter((name) => name.startsWith('k6_')).length).toBeGreaterThanOrEqual(6);
  });

  it('the metric check catches a misspelt metric', async () => {
    const known = await knownMetricNames();
    expect(known.has(metricNames('rate(http_requests_duration_seconds_count[1m])')[0] as string)).toBe(false);
    expect(() => metricNames('sum(rate(x[1m])')).toThrow(/syntax error/);
  });
});

describe('the dashboard check', () => {
  const thresholds = alertThresholds(alertRules());
  const dashboards = () => Object.values(committedDashboards()) as unknown as DashboardJson[];
  const webapp = () => dashboards().find((d) => d.uid === SERVICE_DASHBOARD_UID) as DashboardJson;
  const panel = (dashboard: DashboardJson, title: string) => {
    const found = dashboard.panels.find((p) => p.title === title && p.type !== 'row');
    if (!found) throw new Error(`no panel "${title}"`);
    return found;
  };

  it('reads the alert thresholds from alerts.yml', () => {
    expect(thresholds).toEqual(
      expect.arrayContaining([
        { alert: 'HighRequestVolume', severity: 'warning', value: 20 },
        { alert: 'HighLatencyP95', severity: 'warning', value: 0.25 },
        { alert: 'HighLatencyP95', severity: 'critical', value: 0.5 },
        { alert: 'HighErrorRatio', severity: 'critical', value: 0.05 },
        { alert: 'HighCPU', severity: 'warning', value: 0.8 },
        { alert: 'HighMemory', severity: 'warning', value: 0.9 },
        { alert: 'EventLoopBlocked', severity: 'warning', value: 0.1 },
        { alert: 'HeapNearLimit', severity: 'critical', value: 0.7 },
      ]),
    );
  });

  it.each(Object.keys(RULES))('every committed dashboard keeps the rule: %s', (name) => {
    const rule = RULES[name] as (typeof RULES)[string];
    for (const dashboard of dashboards()) expect(rule(dashboard, thresholds), dashboard.uid).toEqual([]);
  });

  it('draws the memory alerts on the panels of the limits, and the other alerts where the panels name them', () => {
    const steps = (title: string) => panel(webapp(), title).fieldConfig?.defaults?.thresholds?.steps;
    expect(steps('Resident memory of its limit')).toEqual([
      { value: null, color: 'green' },
      { value: 0.9, color: 'orange' },
    ]);
    expect(steps('Heap of its limit')).toEqual([
      { value: null, color: 'green' },
      { value: 0.7, color: 'red' },
    ]);
    const mirrored = webapp()
      .panels.filter((p) => p.links?.some((l) => l.title?.startsWith('Runbook: ')))
      .map((p) => p.title);
    expect(mirrored).toEqual(
      expect.arrayContaining([
        'Request rate',
        'Error ratio',
        'p95 latency, whole service (alert input)',
        'CPU',
        'Event-loop lag',
        'Heap of its limit',
        'Resident memory of its limit',
      ]),
    );
  });

  it('draws on the burn-rate panels the burn rates the generated SLO alerts fire at, in their colour', () => {
    const slo = dashboards().find((d) => d.uid === SLO_DASHBOARD_UID) as DashboardJson;
    const factors = (severity: string) =>
      [
        ...new Set(
          alertRules()
            .filter((rule) => rule.labels?.sloth_severity === severity)
            .flatMap((rule) => [...rule.expr.matchAll(/> \(([\d.]+) \* [\d.]+\)/g)].map((m) => Number(m[1]))),
        ),
      ].sort((a, b) => a - b);
    expect(factors('page')).toEqual([6, 14.4]);
    expect(factors('ticket')).toEqual([1, 3]);
    for (const [title, severity, colour] of [
      ['Burn rate, page windows', 'page', 'red'],
      ['Burn rate, ticket windows', 'ticket', 'orange'],
    ] as const) {
      const steps = panel(slo, title).fieldConfig?.defaults?.thresholds?.steps ?? [];
      expect(
        steps.filter((s) => s.value !== null).map((s) => s.value),
        title,
      ).toEqual(factors(severity));
      expect(new Set(steps.filter((s) => s.value !== null).map((s) => s.color)), title).toEqual(
        new Set([colour]),
      );
    }
  });

  it('names in the runbooks only panels the service and SLO dashboards have', () => {
    const slo = dashboards().find((d) => d.uid === SLO_DASHBOARD_UID) as DashboardJson;
    const titles = [...webapp().panels, ...slo.panels].map((p) => p.title);
    const named = readRunbooks().flatMap((runbook) =>
      [...runbook.markdown.matchAll(/panels? ((?:"[^"]+"(?:,| and| or)? ?)+)/g)].flatMap((m) =>
        [...(m[1] as string).matchAll(/"([^"]+)"/g)].map((q) => q[1] as string),
      ),
    );
    expect(named.length).toBeGreaterThan(5);
    for (const title of named) expect(titles, title).toContain(title);
  });

  it('links each mirrored alert to its runbook panel', () => {
    const runbooks = readRunbooks();
    for (const p of webapp().panels) {
      for (const link of p.links ?? []) {
        const alert = link.title?.replace('Runbook: ', '');
        const runbook = runbooks.find((r) => r.alert === alert);
        expect(link.url, p.title).toBe(
          `/d/${RUNBOOKS_DASHBOARD_UID}/alert-runbooks?viewPanel=${runbook?.panelId}`,
        );
      }
    }
  });

  // Each rule must be able to fail: break a copy of the committed dashboard the way it forbids.
  it.each<[string, (d: DashboardJson) => void, RegExp]>([
    [
      'a unit removed',
      (d) => {
        delete panel(d, 'CPU').fieldConfig?.defaults?.unit;
      },
      /"CPU" has no unit/,
    ],
    [
      'a hard-coded datasource',
      (d) => {
        panel(d, 'CPU').datasource = { uid: 'prometheus' };
      },
      /"CPU" does not read/,
    ],
    [
      "Grafana's default thresholds on a stat",
      (d) => {
        const defaults = panel(d, 'Instances up').fieldConfig?.defaults;
        if (defaults)
          defaults.thresholds = {
            mode: 'absolute',
            steps: [
              { value: null, color: 'green' },
              { value: 80, color: 'red' },
            ],
          };
      },
      /"Instances up" keeps Grafana's default thresholds/,
    ],
    [
      'a stat without thresholds',
      (d) => {
        delete panel(d, 'Instances up').fieldConfig?.defaults?.thresholds;
      },
      /"Instances up" sets no absolute thresholds/,
    ],
    [
      'a memory line at 80%',
      (d) => {
        const step = panel(d, 'Resident memory of its limit').fieldConfig?.defaults?.thresholds?.steps?.[1];
        if (step) step.value = 0.8;
      },
      /"Resident memory of its limit" thresholds \[0.8 orange\], HighMemory fires at \[0.9 orange\]/,
    ],
    [
      'a critical threshold coloured as a warning',
      (d) => {
        const step = panel(d, 'Error ratio').fieldConfig?.defaults?.thresholds?.steps?.[1];
        if (step) step.color = 'orange';
      },
      /"Error ratio" thresholds \[0.05 orange\], HighErrorRatio fires at \[0.05 red\]/,
    ],
    [
      'a dropped threshold line',
      (d) => {
        panel(d, 'CPU').links = [];
      },
      /"CPU" names HighCPU but does not mirror/,
    ],
    [
      'a fixed rate window in a graph',
      (d) => {
        const target = panel(d, 'Average response time by route').targets?.[0];
        if (target) target.expr = 'sum by (route) (rate(http_request_duration_seconds_sum[1m]))';
      },
      /"Average response time by route" uses a fixed window/,
    ],
    [
      'a job-level query without the note',
      (d) => {
        panel(d, 'Error ratio').description = 'Share of 5xx.';
      },
      new RegExp(`"Error ratio" has a query without \\$instance and does not say that ${INSTANCE_NOTE}`),
    ],
    [
      'no alert annotations',
      (d) => {
        d.annotations = { list: [] };
      },
      /no annotation from ALERTS/,
    ],
  ])('fails on %s', (_, breakIt, violation) => {
    const broken = structuredClone(webapp());
    expect(checkDashboard(broken, thresholds)).toEqual([]);
    breakIt(broken);
    expect(checkDashboard(broken, thresholds).join('\n')).toMatch(violation);
  });
});

describe('Grafana provisioning', () => {
  interface Datasources {
    apiVersion: number;
    datasources: {
      uid: string;
      type: string;
      url: string;
      isDefault: boolean;
      jsonData: { timeInterval: string };
    }[];
  }
  interface Providers {
    providers: { type: string; options: { path: string } }[];
  }
  interface Compose {
    services: Record<string, { volumes?: string[] }>;
  }

  it('provisions Prometheus under the uid the dashboards expect, at the compose service', () => {
    const { datasources } = readYaml<Datasources>('grafana/provisioning/datasources/prometheus.yml');
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({
      uid: PROMETHEUS_DATASOURCE_UID,
      type: 'prometheus',
      url: 'http://prometheus:9090',
      isDefault: true,
    });
    const scrapeInterval = readYaml<{ global: { scrape_interval: string } }>('prometheus/prometheus.yml')
      .global.scrape_interval;
    expect(datasources[0]?.jsonData.timeInterval).toBe(scrapeInterval);
  });

  it('loads dashboards from the folder compose mounts the generated JSON into', () => {
    const { providers } = readYaml<Providers>('grafana/provisioning/dashboards/dashboards.yml');
    const grafana = readYaml<Compose>('docker-compose.yml').services.grafana;
    const mounts = (grafana?.volumes ?? []).map((v) => v.split(':'));
    expect(mounts).toContainEqual(['./grafana/dashboards', providers[0]?.options.path, 'ro']);
    expect(mounts).toContainEqual(['./grafana/provisioning', '/etc/grafana/provisioning', 'ro']);
  });
});
