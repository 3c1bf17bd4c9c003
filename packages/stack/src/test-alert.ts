// `make test-alert`: one harmless alert through the running stack's Alertmanager, so that every
// receiver that is on (email and each chat) shows a firing and, two minutes later, a resolved
// message. The way to check a webhook URL or SMTP login before a real incident needs it.
import type { PostedAlert } from './alertmanager.ts';
import { postAlerts } from './alertmanager.ts';

export const TEST_ALERT_MINUTES = 2;

/** The alert: its own name and job, so that nothing inhibits it and nobody mistakes it for an incident. */
export function testAlert(alertmanagerUrl: string, now: Date): PostedAlert {
  const seconds = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return {
    labels: { alertname: 'TestAlert', severity: 'info', job: 'make-test-alert' },
    annotations: {
      summary: 'Test alert from make test-alert: if you read this, this receiver works',
      resolved_summary: 'Test alert from make test-alert is over',
      description: `Sent by hand to check the receivers; it resolves by itself after ${TEST_ALERT_MINUTES} minutes. Nothing is wrong.`,
      since: seconds.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: '/d/fos-runbooks/alert-runbooks',
    },
    startsAt: seconds.toISOString(),
    endsAt: new Date(seconds.getTime() + TEST_ALERT_MINUTES * 60_000).toISOString(),
    generatorURL: `${alertmanagerUrl}/#/alerts?filter=%7Balertname%3D%22TestAlert%22%7D`,
  };
}

if (import.meta.main) {
  const url = process.argv[2] ?? 'http://127.0.0.1:9093';
  try {
    await postAlerts(url, [testAlert(url, new Date())]);
  } catch (error) {
    process.stderr.write(
      `test-alert: no Alertmanager took the alert at ${url} (${(error as Error).message}): start the stack (make up or make up-local), or set ALERTMANAGER_URL\n`,
    );
    process.exit(2);
  }
  process.stdout.write(
    `test-alert: TestAlert sent to ${url}; every receiver that is on gets it within seconds, and its resolution in ${TEST_ALERT_MINUTES} minutes\n`,
  );
}
