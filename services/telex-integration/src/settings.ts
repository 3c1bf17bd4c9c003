/**
 * The settings a Telex channel chooses for this integration: declared once here, served in
 * integration.json and read back from each tick.
 */
export interface Thresholds {
  p95LatencyMs: number;
  cpuPercent: number;
  errorRatioPercent: number;
}

interface NumberSetting {
  key: keyof Thresholds;
  label: string;
  description: string;
  default: number;
  max: number;
}

export const INTERVAL_LABEL = 'interval';
/** The service a channel's reports are about: its Prometheus job (any, scraped or pushing). */
export const SERVICE_LABEL = 'service';
/** A Prometheus job as the reports' queries may name it: no quote or brace can reach the PromQL. */
export const JOB_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_./-]*$/;
/** Every 5 minutes (crontab). */
export const DEFAULT_INTERVAL = '*/5 * * * *';

export const THRESHOLD_SETTINGS: readonly NumberSetting[] = [
  {
    key: 'p95LatencyMs',
    label: 'p95 latency threshold (ms)',
    description: 'Report an error when the webapp’s p95 latency over 5 minutes is above this',
    default: 500,
    max: 600_000,
  },
  {
    key: 'cpuPercent',
    label: 'CPU threshold (% of a core)',
    description: 'Report an error when an instance uses more CPU than this (100 = one full core)',
    default: 80,
    max: 10_000,
  },
  {
    key: 'errorRatioPercent',
    label: 'error ratio threshold (%)',
    description: 'Report an error when more than this share of requests fails with a 5xx',
    default: 5,
    max: 100,
  },
];

export interface TelexSetting {
  label: string;
  type: 'text' | 'number' | 'checkbox' | 'dropdown' | 'multi-select';
  required: boolean;
  default: string | number | boolean;
  description?: string;
  options?: string[];
}

export function declaredSettings(defaultService: string): TelexSetting[] {
  return [
    {
      label: SERVICE_LABEL,
      type: 'text',
      required: true,
      default: defaultService,
      description: `The service to report on, by its Prometheus job (default ${defaultService}): the demo webapp or one of your own`,
    },
    {
      label: INTERVAL_LABEL,
      type: 'text',
      required: true,
      default: DEFAULT_INTERVAL,
      description: 'When Telex asks for a report, as a crontab line (default: every 5 minutes)',
    },
    ...THRESHOLD_SETTINGS.map((setting) => ({
      label: setting.label,
      type: 'number' as const,
      required: true,
      default: setting.default,
      description: setting.description,
    })),
  ];
}

/** A tick's settings as Telex sends them: the declared ones with the channel's values in `default`. */
export interface ReceivedSetting {
  label: string;
  default?: unknown;
}

export class SettingError extends Error {
  override name = 'SettingError';
}

/**
 * The thresholds a tick asks for: each from its setting when present (a number, or a string holding
 * one, as Telex's text inputs send), else its default: a setting that is missing, null (a field the
 * channel cleared) or empty is unset. A bad value throws a SettingError naming it.
 */
export function thresholdsFrom(settings: readonly ReceivedSetting[]): Thresholds {
  const thresholds = {} as Thresholds;
  for (const declared of THRESHOLD_SETTINGS) {
    const received = settings.find((setting) => setting.label === declared.label)?.default;
    const value =
      received === undefined || received === null || received === ''
        ? declared.default
        : typeof received === 'string' && received.trim() !== ''
          ? Number(received)
          : received;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > declared.max) {
      throw new SettingError(
        `settings: '${declared.label}' must be a number from 0 to ${declared.max}, got ${JSON.stringify(received)}`,
      );
    }
    thresholds[declared.key] = value;
  }
  return thresholds;
}

/** The service a tick asks about: its setting when set, else `defaultService`. */
export function serviceFrom(settings: readonly ReceivedSetting[], defaultService: string): string {
  const received = settings.find((setting) => setting.label === SERVICE_LABEL)?.default;
  if (received === undefined || received === null || received === '') return defaultService;
  if (typeof received !== 'string' || !JOB_PATTERN.test(received.trim())) {
    throw new SettingError(
      `settings: '${SERVICE_LABEL}' must be a Prometheus job name (${JOB_PATTERN.source}), got ${JSON.stringify(received)}`,
    );
  }
  return received.trim();
}
