import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { repoPath } from './repo.ts';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
  instant: boolean;
}

interface DashboardJson {
  uid: string;
  title: string;
  panels: { id?: number; title: string; type: string; targets?: { expr?: string; instant?: boolean }[] }[];
}

export function committedDashboards(): Record<string, DashboardJson> {
  const dir = repoPath('grafana/dashboards');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => [file, JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as DashboardJson]),
  );
}

export function panelQueries(dashboardUid?: string): PanelQuery[] {
  return Object.values(committedDashboards())
    .filter((dashboard) => dashboardUid === undefined || dashboard.uid === dashboardUid)
    .flatMap((dashboard) =>
      dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({
          dashboard: dashboard.uid,
          panel: panel.title,
          expr: target.expr ?? '',
          instant: target.instant === true,
        })),
      ),
    );
}

/** Grafana's variables replaced the way Grafana would: `service` picked, the others at "All". */
export function substituteVariables(expr: string, rateInterval = '1m', service = 'webapp'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replace(/\$\{?service\}?/g, service)
    .replace(/\$\{?(instance|route)\}?/g, '.*');
}

/** The metric names an expression selects; throws on a PromQL syntax error. */
export function metricNames(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(expr.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error} in: ${expr}`);
  return names;
}
