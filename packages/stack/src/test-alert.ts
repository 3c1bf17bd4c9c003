// `make test-alert`: one harmless alert through the running stack's Alertmanager, so that every
// receiver that is on (email and each chat) shows a firing and, two minutes later, a resolved
// message. The way to check a webhook URL or SMTP login before a real incident needs it.
import { readFile } from 'node:fs/promises';
import type { PostedAlert } from './alertmanager.ts';
import { postAlerts } from './alertmanager.ts';
import type { Login } from './prometheus.ts';

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

/**
 * The stack's login from its password file (make up's secrets/stack_password), or none where there
 * is no such file: the local stack asks for none.
 */
export async function stackLogin(passwordFile: string | undefined): Promise<Login | undefined> {
  if (!passwordFile) return undefined;
  const text = await readFile(passwordFile, 'utf8').catch(() => '');
  const password = (text.split('\n')[0] ?? '').trim();
  return password === '' ? undefined : { username: 'stack', password };
}

if (import.meta.main) {
  const url = process.argv[2] ?? 'http://127.0.0.1:9093';
  const passwordFile = process.argv[3];
  const login = await stackLogin(passwordFile);
  try {
    await postAlerts(url, [testAlert(url, new Date())], login);
  } catch (error) {
    const reason = (error as Error).message;
    process.stderr.write(
      /: 401 /.test(reason)
        ? `test-alert: the Alertmanager at ${url} ${login ? `refused the login with the stack password of ${passwordFile}` : `asks for the stack login; give the file of the stack password${passwordFile ? ` (${passwordFile} has none)` : ''}`}: STACK_PASSWORD_FILE in .env (${reason.trim()})\n`
        : `test-alert: no Alertmanager took the alert at ${url} (${reason}): start the stack (make up or make up-local), or set ALERTMANAGER_URL\n`,
    );
    process.exit(2);
  }
  process.stdout.write(
    `test-alert: TestAlert sent to ${url}; every receiver that is on gets it within seconds, and its resolution in ${TEST_ALERT_MINUTES} minutes\n`,
  );
}
