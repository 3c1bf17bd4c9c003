import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { k6Dashboard } from './k6-dashboard.ts';
import { webappDashboard } from './webapp-dashboard.ts';

/** Every generated dashboard, by the file name it is written to in grafana/dashboards/. */
export function allDashboards(): Record<string, Dashboard> {
  return { 'webapp-overview.json': webappDashboard(), 'k6-load-tests.json': k6Dashboard() };
}

export function serialise(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
