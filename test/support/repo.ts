import { readYaml } from '@fos/repo/paths';

export { REPO, readYaml, repoPath } from '@fos/repo/paths';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export type Rule = AlertRule | RecordingRule;

export function rules(file: 'alerts' | 'recording'): Rule[] {
  return readYaml<{ groups: { rules: Rule[] }[] }>(`prometheus/rules/${file}.yml`).groups.flatMap(
    (g) => g.rules,
  );
}

export function alertRules(): AlertRule[] {
  return rules('alerts') as AlertRule[];
}

export function recordingRules(): RecordingRule[] {
  return rules('recording') as RecordingRule[];
}

/** "10s", "1m", "2m30s" → seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(value) * (units[unit as string] ?? 0);
  return total;
}
