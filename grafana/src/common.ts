import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  type DataSourceRef,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { readRunbooks, runbookPath } from './runbooks.ts';

/** The provisioned Prometheus datasource's fixed uid (grafana/provisioning/datasources). */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';

/** Every panel reads the datasource the `datasource` variable selects. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable reference, not a JS template.
export const datasource: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** What every generated dashboard shares: fixed uid, tags, refresh, time range and the datasource variable. */
export function baseDashboard(options: { title: string; uid: string; description: string; tags: string[] }) {
  return new DashboardBuilder(options.title)
    .uid(options.uid)
    .description(options.description)
    .tags(['fastify-observability-stack', ...options.tags, 'generated'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('10s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable());
}

/** Firing alerts (not the Watchdog) as annotations on every time series: when each began and ended. */
export function firingAlertsAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Firing alerts')
    .datasource(datasource)
    .enable(true)
    .iconColor('red')
    .expr('ALERTS{alertstate="firing", alertname!="Watchdog"}')
    .step('15s')
    .titleFormat('{{alertname}} ({{severity}})')
    .textFormat('{{instance}}')
    .tagKeys('alertname,severity,instance')
    .useValueForTime(false);
}

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
}

/** One service at a time, `service`: the values of `label` on `metric`, the services that have it. */
export function serviceVariable(metric: string, label: string): QueryVariableBuilder {
  return new QueryVariableBuilder('service')
    .label('Service')
    .datasource(datasource)
    .query(`label_values(${metric}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/**
 * A hidden variable holding one label's value of a PromQL result (Grafana's query_result and a
 * regex), for panels of other datasources that need it: a Jaeger search by a status code.
 */
export function resultVariable(name: string, expr: string, label: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .datasource(datasource)
    .query(`query_result(${expr})`)
    .regex(`/${label}="([^"]*)"/`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .hide(VariableHide.HideVariable);
}

/** A multi-value variable of one label's values, "All" by default. */
export function labelVariable(name: string, label: string, selector: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(`label_values(${selector}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export interface Query {
  expr: string;
  legend?: string;
  instant?: boolean;
  /** Ask Prometheus for the series' exemplars too: dots that open their trace. */
  exemplar?: boolean;
}

function target(query: Query, index: number): DataqueryBuilder {
  const builder = new DataqueryBuilder()
    .expr(query.expr)
    .refId(String.fromCharCode(65 + index))
    .legendFormat(query.legend ?? '__auto');
  if (query.exemplar) builder.exemplar(true);
  return query.instant ? builder.instant() : builder.range();
}

interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  width?: number;
  height?: number;
}

/** Colours by alert severity: a panel that mirrors an alert turns the alert's colour where it fires. */
export const SEVERITY_COLOURS = { warning: 'orange', critical: 'red' } as const;

/**
 * The alert a panel mirrors and its thresholds, in the panel's unit. The dashboard check compares
 * them with the alert's expression in prometheus/rules/alerts.yml.
 */
export interface Mirrors {
  alert: string;
  above: { value: number; severity: keyof typeof SEVERITY_COLOURS }[];
}

export interface ThresholdStep {
  value: number | null;
  color: string;
}

function thresholdSteps(mirrors: Mirrors): ThresholdStep[] {
  return [
    { value: null, color: 'green' },
    ...mirrors.above.map(({ value, severity }) => ({ value, color: SEVERITY_COLOURS[severity] })),
  ];
}

function thresholdsConfig(steps: ThresholdStep[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** A panel link to the runbook of the alert it mirrors (the link the dashboard check follows). */
function runbookLink(alert: string): DashboardLinkBuilder {
  const runbook = readRunbooks().find((r) => r.alert === alert);
  if (!runbook) throw new Error(`no runbook in docs/runbooks.md for ${alert}`);
  return new DashboardLinkBuilder(`Runbook: ${alert}`).url(runbookPath(runbook.panelId));
}

export function timeseries(
  options: PanelOptions & {
    min?: number;
    max?: number;
    mirrors?: Mirrors;
    /** Lines drawn without a mirrored alert (a check of their own ties them to their rules). */
    thresholds?: ThresholdStep[];
  },
) {
  const panel = new TimeseriesPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 12)
    .height(options.height ?? 8)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(
      new VizLegendOptionsBuilder()
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .showLegend(true)
        .calcs(['mean', 'max', 'lastNotNull']),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  if (options.mirrors) {
    panel
      .thresholds(thresholdsConfig(thresholdSteps(options.mirrors)))
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
      .links([runbookLink(options.mirrors.alert)]);
  } else if (options.thresholds) {
    panel
      .thresholds(thresholdsConfig(options.thresholds))
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  options.queries.forEach((query, i) => {
    panel.withTarget(target(query, i));
  });
  return panel;
}

/** A stat panel always sets its colours: a mirrored alert's thresholds, or explicit steps. */
export function stat(options: PanelOptions & ({ mirrors: Mirrors } | { thresholds: ThresholdStep[] })) {
  const panel = new StatPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 6)
    .height(options.height ?? 5);
  if ('mirrors' in options) {
    panel
      .thresholds(thresholdsConfig(thresholdSteps(options.mirrors)))
      .links([runbookLink(options.mirrors.alert)]);
  } else {
    panel.thresholds(thresholdsConfig(options.thresholds));
  }
  options.queries.forEach((query, i) => {
    panel.withTarget(target(query, i));
  });
  return panel;
}

export function table(options: PanelOptions) {
  const panel = new TablePanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(datasource)
    .unit(options.unit)
    .span(options.width ?? 12)
    .height(options.height ?? 8);
  options.queries.forEach((query, i) => {
    panel.withTarget(target(query, i));
  });
  return panel;
}
