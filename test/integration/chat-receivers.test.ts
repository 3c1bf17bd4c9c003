import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import {
  postAlerts,
  type RunningAlertmanager,
  renderAlertmanagerConfig,
  startAlertmanager,
} from '@fos/stack/alertmanager';
import { CHATS, type ChatStandIns, startChatStandIns } from '@fos/stack/chat';
import { run } from '@fos/stack/exec';
import { Maildev } from '@fos/stack/maildev';
import { TEST_ALERT_MINUTES } from '@fos/stack/test-alert';
import { pinnedTool } from '@fos/stack/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChatBody } from '../support/chat-bodies.ts';
import { alertRules } from '../support/repo.ts';

const scratch = await mkdtemp(join(tmpdir(), 'chat-receivers-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const scratchDir = () => mkdtemp(join(scratch, 'render-'));

const amtool = pinnedTool('amtool');
const alertmanagerBinary = pinnedTool('alertmanager');
const GRAFANA = 'https://grafana.example.com';

async function urlFile(dir: string, name: string, content: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

describe.skipIf(!amtool)('chat receivers in the Alertmanager configuration', () => {
  it('adds no chat receiver by default: email only', async () => {
    const { dir, code } = await renderAlertmanagerConfig({}, await scratchDir());
    expect(code).toBe(0);
    const config = await readFile(join(dir, 'alertmanager.yml'), 'utf8');
    expect(config).not.toMatch(
      /slack_configs|discord_configs|msteamsv2_configs|webhook_configs|CHAT_CONFIGS/,
    );
  });

  it('turns on each chat from its setting, in the one receiver every alert goes to, and passes amtool', async () => {
    const dir = await scratchDir();
    const stands = await startChatStandIns(dir);
    await stands.stop();
    const { dir: out, code, stderr } = await renderAlertmanagerConfig(stands.env, dir);
    expect(code, stderr).toBe(0);
    const check = await run(amtool as string, ['check-config', join(out, 'alertmanager.yml')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const config = await readFile(join(out, 'alertmanager.yml'), 'utf8');
    for (const key of ['slack_configs', 'discord_configs', 'msteamsv2_configs', 'webhook_configs']) {
      expect(config).toContain(`    ${key}:`);
    }
    // The URLs are secrets: read from files by Alertmanager, never written into its config.
    for (const url of [stands.env.TELEX_WEBHOOK_URL, ...Object.values(stands.servers).map((s) => s.url)]) {
      expect(config).not.toContain(url);
    }
    const telexFile = await readFile(join(out, 'telex-webhook-url'), 'utf8');
    expect(telexFile.trim()).toBe(stands.env.TELEX_WEBHOOK_URL);
    const routed = await run(amtool as string, [
      'config',
      'routes',
      'test',
      `--config.file=${join(out, 'alertmanager.yml')}`,
      'alertname=HighCPU',
      'severity=warning',
    ]);
    expect(routed.stdout.trim()).toBe('team');
  });

  it.each([
    ['SLACK_WEBHOOK_URL_FILE', 'missing', /SLACK_WEBHOOK_URL_FILE: cannot read '.*missing'/],
    [
      'DISCORD_WEBHOOK_URL_FILE',
      'empty',
      /DISCORD_WEBHOOK_URL_FILE: '.*empty' must hold the discord webhook URL/,
    ],
    [
      'TEAMS_WEBHOOK_URL_FILE',
      'not-a-url',
      /TEAMS_WEBHOOK_URL_FILE: '.*not-a-url' must hold the teams webhook URL/,
    ],
    ['TELEX_WEBHOOK_URL', 'ping.telex.im/v1/webhooks/x', /TELEX_WEBHOOK_URL must be the channel webhook URL/],
    ['SLACK_WEBHOOK_URL_FILE', "it's", /SLACK_WEBHOOK_URL_FILE must not contain/],
  ])('refuses %s=%s naming it, and leaves no config behind', async (variable, value, message) => {
    const dir = await scratchDir();
    await urlFile(dir, 'empty', '\n');
    await urlFile(dir, 'not-a-url', 'hooks.slack.com/services/x\n');
    const setting = variable === 'TELEX_WEBHOOK_URL' ? value : join(dir, value);
    const { dir: out, code, stderr } = await renderAlertmanagerConfig({ [variable]: setting }, dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('hooks.slack.com');
    expect(await readdir(out)).not.toContain('alertmanager.yml');
  });
});

/** An alert as Prometheus sends it, firing since `began` or, given `endsAt`, resolved then. */
function highCpu(began: Date, endsAt?: Date) {
  const rule = alertRules().find((r) => r.alert === 'HighCPU');
  return {
    labels: { alertname: 'HighCPU', severity: 'warning', job: 'webapp', instance: 'a:3000' },
    annotations: {
      summary: 'CPU of webapp instance a:3000 is 93%',
      resolved_summary: 'CPU of webapp instance a:3000 is back under 80%',
      description: 'The process uses 93% of a core.',
      since: began.toISOString().replace(/\.\d+Z$/, 'Z'),
      runbook_url: rule?.annotations?.runbook_url ?? '',
    },
    startsAt: began.toISOString(),
    ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=instance%3Aprocess_cpu_seconds%3Arate1m',
  };
}

describe.skipIf(!alertmanagerBinary)('Alertmanager sending to every chat and by email', () => {
  let mail: Maildev;
  let stands: ChatStandIns;
  let alertmanager: RunningAlertmanager;

  beforeAll(async () => {
    const dir = await scratchDir();
    mail = await Maildev.create();
    await mail.start();
    stands = await startChatStandIns(dir);
    // Slack is briefly in trouble: its first request gets a 503, which Alertmanager retries.
    let slackCalls = 0;
    stands.servers.slack.status = () => (++slackCalls === 1 ? 503 : 200);
    alertmanager = await startAlertmanager(alertmanagerBinary as string, mail.smtpPort, {
      ...stands.env,
      GRAFANA_URL: GRAFANA,
    });
  }, 45_000);

  afterAll(async () => {
    await alertmanager?.stop();
    await stands?.stop();
    await mail?.stop();
  });

  it('delivers the firing alert and its resolution to each chat once, in the body its API expects', async () => {
    const began = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const postedAt = Date.now();
    await postAlerts(alertmanager.url, [highCpu(began)]);
    const runbook = `${GRAFANA}${highCpu(began).annotations.runbook_url}`;
    for (const chat of CHATS) {
      const expected = chat === 'slack' ? 2 : 1; // Slack: the refused attempt, then the retry.
      const requests = await stands.servers[chat].waitForRequests(expected, 30_000);
      const firing = requests.at(-1);
      expect(firing?.method).toBe('POST');
      expect(firing?.headers['content-type']).toMatch(/^application\/json/);
      const message = readChatBody(chat, firing?.body ?? '');
      expect(message.title).toBe(
        '[FIRING:1] HighCPU (warning) on webapp: CPU of webapp instance a:3000 is 93%',
      );
      expect(message.text).toContain('FIRING · warning · CPU of webapp instance a:3000 is 93%');
      expect(message.text).toContain('The process uses 93% of a core.');
      expect(message.text).toContain(`Runbook: ${runbook}`);
      expect(message.text).toContain(
        `Dashboard: ${GRAFANA}/d/fos-service/service-overview?var-service=webapp`,
      );
      expect(message.text).not.toMatch(/<no value>|\$\{/);
      // A warning alert reaches Telex as warning, not error (InstanceDown, critical, is error: e2e/chat).
      if (chat === 'telex') expect(JSON.parse(firing?.body ?? '{}').status).toBe('warning');
      process.stdout.write(
        `chat: ${chat} firing message ${(((firing?.at ?? 0) - postedAt) / 1000).toFixed(1)} s after the alert reached Alertmanager\n`,
      );
    }
    await mail.waitForEmail('the firing email', (m) => m.subject.startsWith('[FIRING:1] HighCPU'), 20_000);

    await postAlerts(alertmanager.url, [highCpu(began, new Date())]);
    for (const chat of CHATS) {
      const expected = chat === 'slack' ? 3 : 2;
      const requests = await stands.servers[chat].waitForRequests(expected, 45_000);
      const message = readChatBody(chat, requests.at(-1)?.body ?? '');
      expect(message.title).toBe(
        '[RESOLVED] HighCPU (warning) on webapp: CPU of webapp instance a:3000 is back under 80%',
      );
      expect(message.text).toContain('RESOLVED · warning · CPU of webapp instance a:3000 is back under 80%');
      expect(message.text).toContain('While firing: CPU of webapp instance a:3000 is 93%');
      expect(message.text).not.toContain('The process uses');
      if (chat === 'telex') expect(JSON.parse(requests.at(-1)?.body ?? '{}').status).toBe('success');
    }
    await mail.waitForEmail('the resolved email', (m) => m.subject.startsWith('[RESOLVED] HighCPU'), 20_000);
    // Nothing twice: a moment later each chat still has exactly its firing and its resolved message.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(
      CHATS.map((chat) => stands.servers[chat].requests.filter((r) => r.body.length > 0).length),
    ).toEqual([3, 2, 2, 2]);
  }, 120_000);
});

describe.skipIf(!alertmanagerBinary)('make test-alert', () => {
  it('brings a TestAlert to email and every chat that is on, resolving by itself', async () => {
    const dir = await scratchDir();
    const mail = await Maildev.create();
    await mail.start();
    const stands = await startChatStandIns(dir);
    const alertmanager = await startAlertmanager(alertmanagerBinary as string, mail.smtpPort, stands.env);
    try {
      const result = await run(process.execPath, [
        repoPath('packages/stack/src/test-alert.ts'),
        alertmanager.url,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`TestAlert sent to ${alertmanager.url}`);
      for (const chat of CHATS) {
        const [request] = await stands.servers[chat].waitForRequests(1, 20_000);
        const message = readChatBody(chat, request?.body ?? '');
        expect(message.title).toBe(
          '[FIRING:1] TestAlert (info) on make-test-alert: Test alert from make test-alert: if you read this, this receiver works',
        );
        expect(message.text).toContain(`Query: ${alertmanager.url}/#/alerts?filter=`);
      }
      const email = await mail.waitForEmail(
        'the test alert email',
        (m) => m.subject.includes('TestAlert'),
        20_000,
      );
      expect(email.text).toContain('Nothing is wrong.');
      const [posted] = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as {
        startsAt: string;
        endsAt: string;
      }[];
      expect(Date.parse(posted?.endsAt ?? '') - Date.parse(posted?.startsAt ?? '')).toBe(
        TEST_ALERT_MINUTES * 60_000,
      );
    } finally {
      await alertmanager.stop();
      await stands.stop();
      await mail.stop();
    }
  }, 60_000);

  it('says what to do when no Alertmanager answers', async () => {
    const result = await run(process.execPath, [
      repoPath('packages/stack/src/test-alert.ts'),
      'http://127.0.0.1:1',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^test-alert: no Alertmanager took the alert at http:\/\/127\.0\.0\.1:1 .*start the stack/,
    );
  });
});
