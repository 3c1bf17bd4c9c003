// The dashboard check: rules a Grafana expert holds dashboards to, applied to the committed JSON.
// Grafana cannot run where the tests run, so these read the JSON Grafana would load. Each rule
// returns what breaks it, one line a violation, naming the dashboard and the panel.
import { datasource, SEVERITY_COLOURS } from '../../grafana/src/common.ts';
import { JAEGER_DATASOURCE, VICTORIALOGS_DATASOURCE } from '../../grafana/src/traces-and-logs.ts';
import type { AlertRule } from './repo.ts';

export interface Threshold {
  alert: string;
  severity: string;
  value: number;
}

interface Target {
  expr?: string;
  instant?: boolean;
  datasource?: { uid?: string };
}

export interface PanelJson {
  id?: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  links?: { title?: string; url?: string }[];
  fieldConfig?: {
    defaults?: {
      unit?: string;
      thresholds?: { mode?: string; steps?: { value: number | null; color: string }[] };
    };
  };
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  annotations?: { list?: { name?: string; expr?: string; datasource?: { uid?: string } }[] };
  templating?: { list?: { name: string }[] };
}

/** The datasource every query must read: the dashboard's `datasource` variable. */
export const DATASOURCE_VARIABLE = datasource.uid;
/** What a panel says when some of its series cannot follow the Instance variable. */
export const INSTANCE_NOTE = 'the Instance filter does not apply';

/**
 * The numeric thresholds of the alerts, read from their expressions in alerts.yml: `expr > N`
 * (N may be a product, like `400 * 1024 * 1024`), before any `and`/`unless` that only gates it
 * (HighLatencyP95's minimum of requests). Alerts without such a threshold are left out.
 */
export function alertThresholds(rules: AlertRule[]): Threshold[] {
  return rules.flatMap((rule) => {
    const condition = rule.expr.split(/\s+(?:and|unless)\b/)[0] ?? '';
    const match = condition.match(/>\s*([\d.]+(?:\s*\*\s*[\d.]+)*)\s*$/);
    if (!match) return [];
    const value = (match[1] as string).split('*').reduce((product, factor) => product * Number(factor), 1);
    return [{ alert: rule.alert, severity: rule.labels?.severity ?? '', value }];
  });
}

/** Panels of metrics; the others read traces (Jaeger) or logs (VictoriaLogs), which have no unit nor instance. */
const isMetrics = (panel: PanelJson) =>
  panel.datasource?.type === undefined || panel.datasource.type === 'prometheus';
const hasQueries = (panel: PanelJson) => isMetrics(panel) && (panel.targets ?? []).length > 0;
const TRACE_AND_LOG_DATASOURCES = [JAEGER_DATASOURCE, VICTORIALOGS_DATASOURCE];
/** The alert a panel mirrors: named by its "Runbook: <alert>" link. */
const mirroredAlert = (panel: PanelJson) =>
  panel.links?.find((link) => link.title?.startsWith('Runbook: '))?.title?.slice('Runbook: '.length);

export const RULES: Record<string, (dashboard: DashboardJson, thresholds: Threshold[]) => string[]> = {
  'every panel with queries has a unit': (dashboard) =>
    dashboard.panels
      .filter(hasQueries)
      .filter((panel) => !panel.fieldConfig?.defaults?.unit)
      .map((panel) => `"${panel.title}" has no unit`),

  'every query, panel and annotation uses the datasource variable': (dashboard) => [
    ...dashboard.panels
      .filter(hasQueries)
      .filter(
        (panel) =>
          panel.datasource?.uid !== DATASOURCE_VARIABLE ||
          (panel.targets ?? []).some((t) => t.datasource && t.datasource.uid !== DATASOURCE_VARIABLE),
      )
      .map((panel) => `"${panel.title}" does not read ${DATASOURCE_VARIABLE}`),
    // Traces and logs come from the one provisioned Jaeger and VictoriaLogs, by their fixed uids.
    ...dashboard.panels
      .filter((panel) => !isMetrics(panel))
      .filter(
        (panel) =>
          !TRACE_AND_LOG_DATASOURCES.some(
            (d) => d.type === panel.datasource?.type && d.uid === panel.datasource?.uid,
          ),
      )
      .map((panel) => `"${panel.title}" reads ${JSON.stringify(panel.datasource)}, not a provisioned uid`),
    ...(dashboard.annotations?.list ?? [])
      .filter((annotation) => annotation.expr && annotation.datasource?.uid !== DATASOURCE_VARIABLE)
      .map((annotation) => `annotation "${annotation.name}" does not read ${DATASOURCE_VARIABLE}`),
  ],

  "every stat and gauge sets explicit thresholds, not Grafana's default (green, red at 80)": (dashboard) =>
    dashboard.panels
      .filter((panel) => ['stat', 'gauge', 'bargauge'].includes(panel.type))
      .flatMap((panel) => {
        const thresholds = panel.fieldConfig?.defaults?.thresholds;
        if (!thresholds?.steps?.length || thresholds.mode !== 'absolute') {
          return [`"${panel.title}" sets no absolute thresholds`];
        }
        const isDefault =
          thresholds.steps.length === 2 &&
          thresholds.steps[0]?.color === 'green' &&
          thresholds.steps[1]?.color === 'red' &&
          thresholds.steps[1]?.value === 80;
        return isDefault ? [`"${panel.title}" keeps Grafana's default thresholds`] : [];
      }),

  'every threshold matches the alert rule it mirrors, in value and severity colour': (
    dashboard,
    thresholds,
  ) =>
    dashboard.panels.flatMap((panel) => {
      const alert = mirroredAlert(panel);
      if (!alert) return [];
      const expected = thresholds.filter((t) => t.alert === alert).sort((a, b) => a.value - b.value);
      if (expected.length === 0) return [`"${panel.title}" mirrors ${alert}, which has no "> N" threshold`];
      const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
      const got = steps.filter((step) => step.value !== null).map((s) => `${s.value} ${s.color}`);
      const want = expected.map(
        (t) => `${t.value} ${SEVERITY_COLOURS[t.severity as keyof typeof SEVERITY_COLOURS] ?? t.severity}`,
      );
      const violations: string[] = [];
      if (got.join(', ') !== want.join(', ')) {
        violations.push(
          `"${panel.title}" thresholds [${got.join(', ')}], ${alert} fires at [${want.join(', ')}]`,
        );
      }
      if (steps[0]?.value !== null || steps[0]?.color !== 'green') {
        violations.push(`"${panel.title}" is not green below ${alert}'s threshold`);
      }
      return violations;
    }),

  'every panel that names an alert with a threshold draws it': (dashboard, thresholds) => {
    const alerts = new Set(thresholds.map((t) => t.alert));
    return dashboard.panels
      .filter(hasQueries)
      .flatMap((panel) =>
        [...alerts]
          .filter((alert) => panel.description?.includes(alert) && mirroredAlert(panel) !== alert)
          .map((alert) => `"${panel.title}" names ${alert} but does not mirror its threshold`),
      );
  },

  'rates over raw counters in graphs use $__rate_interval': (dashboard) =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? [])
        .filter(
          (target) =>
            !target.instant &&
            /\b(rate|irate|increase)\([^()]*\[(?!\$__rate_interval\])[^\]]+\]/.test(target.expr ?? ''),
        )
        .map((target) => `"${panel.title}" uses a fixed window: ${target.expr}`),
    ),

  'series that ignore the Instance variable say so': (dashboard) => {
    if (!dashboard.templating?.list?.some((variable) => variable.name === 'instance')) return [];
    return dashboard.panels
      .filter(isMetrics)
      .filter((panel) => (panel.targets ?? []).some((target) => !target.expr?.includes('$instance')))
      .filter((panel) => !panel.description?.includes(INSTANCE_NOTE))
      .map(
        (panel) => `"${panel.title}" has a query without $instance and does not say that ${INSTANCE_NOTE}`,
      );
  },

  'dashboards with time series show firing alerts as annotations': (dashboard) => {
    if (!dashboard.panels.some((panel) => panel.type === 'timeseries')) return [];
    const annotated = dashboard.annotations?.list?.some((a) =>
      a.expr?.startsWith('ALERTS{alertstate="firing"'),
    );
    return annotated ? [] : ['no annotation from ALERTS{alertstate="firing"}'];
  },
};

/** Every violation of every rule, prefixed with the dashboard's uid. */
export function checkDashboard(dashboard: DashboardJson, thresholds: Threshold[]): string[] {
  return Object.values(RULES).flatMap((rule) =>
    rule(dashboard, thresholds).map((violation) => `${dashboard.uid}: ${violation}`),
  );
}
