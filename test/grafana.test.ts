import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasource, PROMETHEUS_DATASOURCE_UID } from '../grafana/src/common.ts';
import { allDashboards, serialise } from '../grafana/src/dashboards.ts';
import { K6_DASHBOARD_UID } from '../grafana/src/k6-dashboard.ts';
import { WEBAPP_DASHBOARD_UID } from '../grafana/src/webapp-dashboard.ts';
import { buildApp } from '../services/webapp/src/app.ts';
import { loadConfig } from '../services/webapp/src/config.ts';
import { committedDashboards, metricNames, panelQueries, substituteVariables } from './support/panels.ts';
import { parseExposition } from './support/prom-text.ts';
import { readYaml, recordingRules, repoPath } from './support/repo.ts';

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
      'up',
      'ALERTS',
    ]);
  } finally {
    await app.close();
  }
}

describe('dashboards as code', () => {
  it('the committed JSON is exactly what the TypeScript generates', () => {
    const committed = committedDashboards();
    const generated = allDashboards();
    expect(Object.keys(committed).sort()).toEqual(Object.keys(generated).sort());
    for (const [file, dashboard] of Object.entries(generated)) {
      expect(
        readFileSync(repoPath(`grafana/dashboards/${file}`), 'utf8'),
        `${file}: run make dashboards`,
      ).toBe(serialise(dashboard));
    }
  });

  it('has fixed uids, a datasource variable, and every panel reads it', () => {
    const dashboards = Object.values(committedDashboards());
    expect(dashboards.map((d) => d.uid).sort()).toEqual([K6_DASHBOARD_UID, WEBAPP_DASHBOARD_UID].sort());
    for (const dashboard of dashboards) {
      const json = dashboard as unknown as {
        templating: { list: { name: string; type: string; query?: string }[] };
        panels: {
          type: string;
          title: string;
          datasource?: { uid: string };
          fieldConfig?: { defaults?: { unit?: string } };
        }[];
      };
      expect(json.templating.list.find((v) => v.name === 'datasource')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
      });
      for (const panel of json.panels.filter((p) => p.type !== 'row')) {
        expect(panel.datasource?.uid, panel.title).toBe(datasource.uid);
        expect(panel.fieldConfig?.defaults?.unit, `${panel.title} has a unit`).toBeTruthy();
      }
    }
  });

  it('offers instance and route variables on the webapp dashboard', () => {
    const dashboard = committedDashboards()['webapp-overview.json'] as unknown as {
      templating: { list: { name: string; multi: boolean; includeAll: boolean }[] };
    };
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
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(20);
    for (const query of queries) {
      const names = metricNames(substituteVariables(query.expr));
      expect(names.length, `${query.panel}: ${query.expr}`).toBeGreaterThan(0);
      for (const name of names) {
        // k6 names come from k6's remote write; e2e/k6.test.ts runs those panels against real k6 data.
        if (query.dashboard === K6_DASHBOARD_UID && name.startsWith('k6_')) continue;
        expect(known, `${query.panel}: ${name}`).toContain(name);
      }
    }
  });

  it('the metric check catches a misspelt metric', async () => {
    const known = await knownMetricNames();
    expect(known.has(metricNames('rate(http_requests_duration_seconds_count[1m])')[0] as string)).toBe(false);
    expect(() => metricNames('sum(rate(x[1m])')).toThrow(/syntax error/);
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
