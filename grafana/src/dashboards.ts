import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { webappDashboard } from './webapp-dashboard.ts';

/** Every generated dashboard, by the file name it is written to in grafana/dashboards/. */
export function allDashboards(): Record<string, Dashboard> {
  return { 'webapp-overview.json': webappDashboard() };
}

export function serialise(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
