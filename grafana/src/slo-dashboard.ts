import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  baseDashboard,
  firingAlertsAnnotation,
  SEVERITY_COLOURS,
  serviceVariable,
  stat,
  timeseries,
} from './common.ts';

export const SLO_DASHBOARD_UID = 'fos-slo';
export const SLO_DASHBOARD_PATH = `/d/${SLO_DASHBOARD_UID}/service-level-objectives`;

/** The burn rates at which the generated alerts fire (Sloth's defaults for a 30-day period). */
export const PAGE_BURN_RATES = { '1h': 14.4, '6h': 6 } as const;
export const TICKET_BURN_RATES = { '1d': 3, '3d': 1 } as const;

/** Every series of the service's SLOs: Sloth's rules carry the spec's service as sloth_service. */
const SERVICE = 'sloth_service="$service"';

/** A window's error ratio over the SLO's error budget: 1 spends exactly the budget in 30 days. */
function burnRate(window: string) {
  return {
    expr: `slo:sli_error:ratio_rate${window}{${SERVICE}} / on (sloth_id) group_left slo:error_budget:ratio{${SERVICE}}`,
    legend: `{{sloth_slo}} ${window}`,
  };
}

/** Burn rates over `windows`, with the alert's lines at `lines` in `colour`. */
function burnRatePanel(
  title: string,
  description: string,
  windows: string[],
  lines: number[],
  colour: string,
) {
  return timeseries({
    title,
    description,
    unit: 'suffix:x',
    min: 0,
    thresholds: [{ value: null, color: 'green' }, ...lines.map((value) => ({ value, color: colour }))],
    queries: windows.map(burnRate),
  });
}

/**
 * The service level objectives of prometheus/slos, for any service that has a spec there: each
 * objective, what is left of its error budget, and the burn rates the alerts compare with their
 * lines. It reads only the rules Sloth generates (prometheus/rules/slo-*.yml).
 */
export function sloDashboard(): Dashboard {
  return baseDashboard({
    title: 'Service level objectives',
    uid: SLO_DASHBOARD_UID,
    description:
      'Objectives, error budgets and burn rates of every service with an SLO spec in prometheus/slos (rules by Sloth).',
    tags: ['slo', 'service'],
  })
    .time({ from: 'now-6h', to: 'now' })
    .annotation(firingAlertsAnnotation())
    .withVariable(serviceVariable('slo:sli_error:ratio_rate5m', 'sloth_service'))

    .withRow(new RowBuilder('Objectives'))
    .withPanel(
      stat({
        title: 'Objective',
        description:
          'The share of requests each SLO requires to be good over its 30 days (the spec in prometheus/slos).',
        unit: 'percentunit',
        width: 6,
        thresholds: [{ value: null, color: 'blue' }],
        queries: [{ expr: `slo:objective:ratio{${SERVICE}}`, legend: '{{sloth_slo}}', instant: true }],
      }),
    )
    .withPanel(
      stat({
        title: 'Good over 30 days',
        description:
          'The share of requests that were good over the last 30 days (or since the data begins): the SLI.',
        unit: 'percentunit',
        width: 6,
        thresholds: [{ value: null, color: 'text' }],
        queries: [
          { expr: `1 - slo:sli_error:ratio_rate30d{${SERVICE}}`, legend: '{{sloth_slo}}', instant: true },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Error budget left',
        description:
          'What is left of the 30 days’ error budget: 100% is untouched, 0% spent, below 0 the objective is broken. Red when spent.',
        unit: 'percentunit',
        width: 6,
        thresholds: [
          { value: null, color: SEVERITY_COLOURS.critical },
          { value: 0, color: 'green' },
        ],
        queries: [
          {
            expr: `slo:period_error_budget_remaining:ratio{${SERVICE}}`,
            legend: '{{sloth_slo}}',
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'SLO alerts firing',
        description: 'Burn-rate alerts of this service firing now, pages and tickets (see Firing alerts).',
        unit: 'none',
        width: 6,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: SEVERITY_COLOURS.critical },
        ],
        queries: [
          {
            expr: `sum(ALERTS{alertstate="firing", ${SERVICE}}) or vector(0)`,
            legend: 'firing',
            instant: true,
          },
        ],
      }),
    )

    .withRow(new RowBuilder('Burn rates'))
    .withPanel(
      burnRatePanel(
        'Burn rate, page windows',
        `How fast each SLO spends its budget, per window (1 = exactly the budget in 30 days). The page fires when the 1h and 5m windows are both over ${PAGE_BURN_RATES['1h']}, or the 6h and 30m both over ${PAGE_BURN_RATES['6h']} (the dashed lines).`,
        ['5m', '30m', '1h', '6h'],
        [PAGE_BURN_RATES['6h'], PAGE_BURN_RATES['1h']],
        SEVERITY_COLOURS.critical,
      ),
    )
    .withPanel(
      burnRatePanel(
        'Burn rate, ticket windows',
        `The slow burns: the ticket fires when the 1d and 2h windows are both over ${TICKET_BURN_RATES['1d']}, or the 3d and 6h both over ${TICKET_BURN_RATES['3d']} (the dashed lines).`,
        ['2h', '6h', '1d', '3d'],
        [TICKET_BURN_RATES['3d'], TICKET_BURN_RATES['1d']],
        SEVERITY_COLOURS.warning,
      ),
    )
    .withPanel(
      timeseries({
        title: 'Error budget left over time',
        description: 'What is left of each SLO’s 30-day budget, over time: a steep fall is a fast burn.',
        unit: 'percentunit',
        queries: [{ expr: `slo:period_error_budget_remaining:ratio{${SERVICE}}`, legend: '{{sloth_slo}}' }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Bad requests by SLO (5m)',
        description:
          'The share of requests that were bad over 5 minutes: failed, or slower than the threshold.',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: `slo:sli_error:ratio_rate5m{${SERVICE}}`, legend: '{{sloth_slo}}' }],
      }),
    )
    .build();
}
