import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { repoPath } from './repo.ts';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
  instant: boolean;
  exemplar: boolean;
}

interface TargetJson {
  expr?: string;
  instant?: boolean;
  exemplar?: boolean;
  queryType?: string;
  service?: string;
  minDuration?: string;
  tags?: string;
  limit?: number;
}

interface DashboardJson {
  uid: string;
  title: string;
  templating?: { list: { name: string; query?: string | { query?: string }; regex?: string }[] };
  panels: {
    id?: number;
    title: string;
    type: string;
    datasource?: { type?: string; uid?: string };
    targets?: TargetJson[];
  }[];
}

/** A panel of a traces or logs datasource (Jaeger, VictoriaLogs), with its queries as they are. */
export interface TraceOrLogPanel {
  dashboard: string;
  /** Its dashboard's query_result variables by name: the PromQL and the regex that picks the value. */
  resultVariables: Record<string, { expr: string; regex: RegExp }>;
  panel: string;
  datasource: { type: string; uid: string };
  targets: TargetJson[];
}

const isPrometheus = (panel: DashboardJson['panels'][number]) =>
  panel.datasource?.type === undefined || panel.datasource.type === 'prometheus';

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
      dashboard.panels.filter(isPrometheus).flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({
          dashboard: dashboard.uid,
          panel: panel.title,
          expr: target.expr ?? '',
          instant: target.instant === true,
          exemplar: target.exemplar === true,
        })),
      ),
    );
}

/** The panels that read Jaeger or VictoriaLogs: every other panel reads Prometheus. */
export function traceAndLogPanels(dashboardUid?: string): TraceOrLogPanel[] {
  return Object.values(committedDashboards())
    .filter((dashboard) => dashboardUid === undefined || dashboard.uid === dashboardUid)
    .flatMap((dashboard) =>
      dashboard.panels
        .filter((panel) => !isPrometheus(panel))
        .map((panel) => ({
          dashboard: dashboard.uid,
          resultVariables: resultVariables(dashboard),
          panel: panel.title,
          datasource: panel.datasource as { type: string; uid: string },
          targets: panel.targets ?? [],
        })),
    );
}

/** A dashboard's query_result() variables, which Grafana fills from a PromQL result by a regex. */
function resultVariables(dashboard: DashboardJson): TraceOrLogPanel['resultVariables'] {
  const found: TraceOrLogPanel['resultVariables'] = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const expr = /^query_result\((.+)\)$/s.exec(query)?.[1];
    const regex = /^\/(.+)\/$/.exec(variable.regex ?? '')?.[1];
    if (expr && regex) found[variable.name] = { expr, regex: new RegExp(regex) };
  }
  return found;
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
