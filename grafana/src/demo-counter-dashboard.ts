import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard, firingAlertsAnnotation, labelVariable, timeseries } from './common.ts';

export const DEMO_COUNTER_DASHBOARD_UID = 'fos-demo-counter';

/** The demo webapp's own business metric: not a service's, so not on the Service overview. */
const DEMO = 'job="webapp", instance=~"$instance"';

/** The demo webapp's checkpointed counter: its value, checkpoints and restores. */
export function demoCounterDashboard(): Dashboard {
  return baseDashboard({
    title: 'Webapp demo: counter',
    uid: DEMO_COUNTER_DASHBOARD_UID,
    description:
      "The demo webapp's checkpointed counter (POST /counter/...): value, checkpoints and restores.",
    tags: ['webapp', 'demo'],
  })
    .annotation(firingAlertsAnnotation())
    .withVariable(labelVariable('instance', 'Instance', 'app_counter_value{job="webapp"}'))
    .withPanel(
      timeseries({
        title: 'Counter',
        description: 'The counter value, and the values at the last checkpoint and restore.',
        unit: 'short',
        queries: [
          { expr: `app_counter_value{${DEMO}}`, legend: 'value {{instance}}' },
          { expr: `app_counter_last_checkpoint_value{${DEMO}}`, legend: 'last checkpoint {{instance}}' },
          { expr: `app_counter_last_restore_value{${DEMO}}`, legend: 'last restore {{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Checkpoints and restores',
        description: 'Checkpoints and restores per minute, by result.',
        unit: 'cpm',
        min: 0,
        queries: [
          {
            expr: `sum by (result) (rate(app_counter_checkpoints_total{${DEMO}}[$__rate_interval])) * 60`,
            legend: 'checkpoint {{result}}',
          },
          {
            expr: `sum by (result) (rate(app_counter_restores_total{${DEMO}}[$__rate_interval])) * 60`,
            legend: 'restore {{result}}',
          },
        ],
      }),
    )
    .build();
}
