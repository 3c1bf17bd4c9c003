import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { demoCounterDashboard } from './demo-counter-dashboard.ts';
import { k6Dashboard } from './k6-dashboard.ts';
import { readRunbooks, runbooksTemplate, stackJobs } from './runbooks.ts';
import { runbooksDashboard } from './runbooks-dashboard.ts';
import { serviceDashboard } from './service-dashboard.ts';
import { sloDashboard } from './slo-dashboard.ts';

/** Every generated dashboard, by the file name it is written to in grafana/dashboards/. */
export function allDashboards(): Record<string, Dashboard> {
  return {
    'service-overview.json': serviceDashboard(),
    'service-level-objectives.json': sloDashboard(),
    'webapp-demo-counter.json': demoCounterDashboard(),
    'k6-load-tests.json': k6Dashboard(),
    'alert-runbooks.json': runbooksDashboard(readRunbooks()),
  };
}

/** Every generated file, by its path in the repository: the dashboards and the runbook email template. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [file, dashboard] of Object.entries(allDashboards())) {
    files[`grafana/dashboards/${file}`] = serialise(dashboard);
  }
  files['alertmanager/templates/runbooks.tmpl'] = runbooksTemplate(readRunbooks(), stackJobs());
  return files;
}

export function serialise(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
