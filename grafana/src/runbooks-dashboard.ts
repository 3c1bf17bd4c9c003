import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { TextMode, PanelBuilder as TextPanelBuilder } from '@grafana/grafana-foundation-sdk/text';
import { baseDashboard } from './common.ts';
import { RUNBOOKS_DASHBOARD_UID, type Runbook } from './runbooks.ts';

/**
 * One text panel per alert, its id fixed by its place in docs/runbooks.md: an alert's runbook_url
 * opens its panel alone (`?viewPanel=<id>`).
 */
export function runbooksDashboard(runbooks: Runbook[]): Dashboard {
  const dashboard = baseDashboard({
    title: 'Alert runbooks',
    uid: RUNBOOKS_DASHBOARD_UID,
    description: 'What each alert means, how to confirm it and what to do. Generated from docs/runbooks.md.',
    tags: ['runbooks'],
  }).refresh('');
  for (const runbook of runbooks) {
    dashboard.withPanel(
      new TextPanelBuilder()
        .id(runbook.panelId)
        .title(runbook.alert)
        .mode(TextMode.Markdown)
        .content(runbook.markdown)
        .span(24)
        .height(Math.max(6, Math.ceil(runbook.markdown.length / 180) + 3)),
    );
  }
  return dashboard.build();
}
