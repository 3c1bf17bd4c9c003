// Checks shared by the local end-to-end suite (e2e/) and the Docker Compose test (compose-test/):
// the same assertions, against whatever addresses the stack under test has.
import { expect } from 'vitest';
import type { Mail, MaildevApi } from '../../harness/maildev.ts';
import { waitFor } from '../../harness/process.ts';
import type { PrometheusClient } from '../../harness/prometheus.ts';
import { panelQueries, substituteVariables } from './panels.ts';
import { alertRules, recordingRules } from './repo.ts';

const RUNBOOK_BASE = alertRules()
  .find((r) => r.alert === 'InstanceDown')
  ?.annotations?.runbook_url?.split('#')[0];

export async function expectWebappTargetsUp(prometheus: PrometheusClient, count: number, timeoutMs = 60_000) {
  return waitFor(
    `${count} webapp targets up`,
    async () => {
      const found = await prometheus.targets('webapp');
      return found.length === count && found.every((t) => t.health === 'up') ? found : undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

export async function expectEveryRecordingRuleHasData(prometheus: PrometheusClient): Promise<void> {
  for (const rule of recordingRules()) {
    const result = await prometheus.query(rule.record);
    expect(result.length, `recording rule ${rule.record} returns data`).toBeGreaterThan(0);
  }
}

/** Runs every panel query of a dashboard with its variables at "All"; returns how many ran. */
export async function expectEveryPanelHasData(
  prometheus: PrometheusClient,
  dashboardUid: string,
): Promise<number> {
  const queries = panelQueries(dashboardUid);
  for (const query of queries) {
    const expr = substituteVariables(query.expr);
    const data = query.instant ? await prometheus.query(expr) : await prometheus.queryRange(expr, 60);
    expect(data.length, `panel "${query.panel}" has data: ${expr}`).toBeGreaterThan(0);
  }
  return queries.length;
}

/**
 * Waits for the InstanceDown email and checks it. `instances` are the instance labels it may name;
 * `undefined` stands for none (Compose: a stopped container leaves DNS, and if its target vanishes
 * before the failed scrapes fire the alert, the alert names no instance).
 */
export async function expectInstanceDownEmail(
  mail: MaildevApi,
  instances: readonly (string | undefined)[],
  timeoutMs = 90_000,
): Promise<Mail> {
  const email = await mail.waitForEmail(
    'the InstanceDown email',
    (m) => m.subject.startsWith('[FIRING') && m.subject.includes('InstanceDown'),
    timeoutMs,
  );
  const subjects = instances.map(
    (instance) =>
      `[FIRING:1] InstanceDown (critical) on webapp: Webapp instance ${instance ?? '(none discovered)'} is down`,
  );
  expect(subjects).toContain(email.subject);
  const named = instances.find((instance) => email.subject.includes(instance ?? '(none discovered)'));
  expect(email.text).toMatch(/^ {2}severity: +critical$/m);
  expect(email.text).toMatch(
    new RegExp(`^ {2}instance: +${(named ?? '(none)').replace(/[.()]/g, '\\$&')}$`, 'm'),
  );
  expect(email.text).toContain(`${RUNBOOK_BASE}#instancedown`);
  expect(email.html).toContain(`href="${RUNBOOK_BASE}#instancedown"`);
  expect(email.to).toEqual(['oncall@example.com']);
  return email;
}

export function expectResolvedEmail(mail: MaildevApi, timeoutMs = 90_000): Promise<Mail> {
  return mail.waitForEmail(
    'the resolved email',
    (m) => m.subject.startsWith('[RESOLVED] InstanceDown'),
    timeoutMs,
  );
}
