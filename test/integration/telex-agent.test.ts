import { a2aCall, answerText, telexMessageSend } from '@fos/stack/a2a';
import { postAlerts, type RunningAlertmanager, startAlertmanager } from '@fos/stack/alertmanager';
import { Maildev } from '@fos/stack/maildev';
import { freePort, waitFor } from '@fos/stack/process';
import { pinnedTool } from '@fos/stack/tools';
import { buildApp } from '@fos/telex-integration/app';
import { loadConfig } from '@fos/telex-integration/config';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';

const alertmanagerBinary = pinnedTool('alertmanager');
const GRAFANA = 'http://grafana.example.com:3000';
const annotationsOf = (alert: string) => alertRules().find((rule) => rule.alert === alert)?.annotations ?? {};

function alert(alertname: string, labels: Record<string, string>, summary: string) {
  return {
    labels: { alertname, severity: 'critical', ...labels },
    annotations: { summary, runbook_url: annotationsOf(alertname).runbook_url ?? '' },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=up',
  };
}

interface Silence {
  id: string;
  status: { state: string };
  createdBy: string;
  comment: string;
  matchers: { name: string; value: string }[];
}

describe.skipIf(!alertmanagerBinary)(
  'the Telex A2A agent on a real Alertmanager, as a channel asks it',
  () => {
    let mail: Maildev;
    let alertmanager: RunningAlertmanager;
    /** Not clustered with the first: it holds what it is sent, as one of the pair lagging behind would. */
    let second: RunningAlertmanager;
    let agent: FastifyInstance;
    let agentUrl: string;
    const ask = (id: string, text: string) => a2aCall(agentUrl, telexMessageSend(id, `<p>${text}</p>`));

    beforeAll(async () => {
      mail = await Maildev.create();
      await mail.start();
      alertmanager = await startAlertmanager(alertmanagerBinary as string, mail.smtpPort);
      second = await startAlertmanager(
        alertmanagerBinary as string,
        mail.smtpPort,
        {},
        { name: 'alertmanager-2' },
      );
      const port = await freePort();
      agentUrl = `http://127.0.0.1:${port}`;
      agent = await buildApp({
        config: loadConfig({
          PUBLIC_URL: agentUrl,
          // The first of the pair is down: each call falls over to the second, as with a dead instance.
          ALERTMANAGER_URLS: `http://127.0.0.1:${await freePort()},${alertmanager.url},${second.url}`,
          ALERTMANAGER_PUBLIC_URL: alertmanager.url,
          GRAFANA_URL: GRAFANA,
        }),
        logger: false,
      });
      await agent.listen({ host: '127.0.0.1', port });
    }, 60_000);

    afterAll(async () => {
      await agent?.close();
      await alertmanager?.stop();
      await mail?.stop();
    });

    it('names InstanceDown while it fires, with its runbook, dashboard and query', async () => {
      await postAlerts(alertmanager.url, [
        alert('InstanceDown', { job: 'webapp', instance: 'a:3000' }, 'webapp instance a:3000 is down'),
      ]);
      const answer = await waitFor(
        'InstanceDown in the answer',
        async () => {
          const asked = await ask('firing-1', 'what is firing?');
          return answerText(asked).includes('InstanceDown') ? asked : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(answer.body.result?.status?.state).toBe('completed');
      const text = answerText(answer);
      expect(text).toMatch(/^\*\*\d+ alerts? firing:\*\*$/m);
      expect(text).toContain(
        '- **InstanceDown** (critical) on webapp a:3000, for 1m: webapp instance a:3000 is down',
      );
      expect(text).toContain(`[runbook](${GRAFANA}${annotationsOf('InstanceDown').runbook_url})`);
      expect(text).toContain(`[dashboard](${GRAFANA}/d/fos-service/service-overview?var-service=webapp)`);
      expect(text).toContain('[query](http://127.0.0.1:9090/graph?g0.expr=up)');
      expect(text).toContain(`[Alertmanager](${alertmanager.url}/#/alerts)`);
      reportFigure(`telex agent: "what is firing?" answered:\n${text}`);
    });

    it('answers with what either Alertmanager of the pair holds: one may lag behind the other', async () => {
      await postAlerts(second.url, [
        alert('HighCPU', { job: 'webapp', instance: 'b:3000' }, 'CPU of b:3000 is high'),
      ]);
      const answer = await waitFor(
        'HighCPU, held by the second Alertmanager only, in the answer',
        async () => {
          const asked = await ask('firing-pair', 'what is firing?');
          return answerText(asked).includes('HighCPU') ? asked : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(answerText(answer)).toContain('- **HighCPU** (critical) on webapp b:3000');
    });

    it('silences an alert when asked, with who asked and why; its email is not sent; unsilence ends it', async () => {
      const asked = await ask(
        'silence-1',
        'silence HighErrorRatio on muted-job for 1h because we are deploying',
      );
      expect(asked.body.result?.status?.state).toBe('completed');
      const text = answerText(asked);
      const id = /unsilence ([0-9a-f-]{36})/.exec(text)?.[1];
      expect(id, text).toBeDefined();
      expect(text).toMatch(
        /^\*\*Silenced\*\* `alertname="HighErrorRatio", job="muted-job"` until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
      );
      expect(text).toContain(
        'Asked by telex user user-7: we are deploying (asked in Telex channel channel-9)',
      );
      expect(text).toContain(`[silence](${alertmanager.url}/#/silences/${id})`);

      const silences = (await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as Silence[];
      const silence = silences.find((s) => s.id === id);
      expect(silence).toMatchObject({
        status: { state: 'active' },
        createdBy: 'telex user user-7',
        comment: 'we are deploying (asked in Telex channel channel-9)',
      });
      expect(silence?.matchers.map(({ name, value }) => ({ name, value }))).toEqual([
        { name: 'alertname', value: 'HighErrorRatio' },
        { name: 'job', value: 'muted-job' },
      ]);

      // Two groups born together (group_by alertname, job, severity; group_wait 5s): once the loud one's
      // email is in, the muted one's moment to send has passed too.
      await postAlerts(alertmanager.url, [
        alert('HighErrorRatio', { job: 'muted-job' }, 'muted-job fails'),
        alert('HighErrorRatio', { job: 'loud-job' }, 'loud-job fails'),
      ]);
      await mail.waitForEmail(
        'the unsilenced email',
        (m) => m.subject.includes('HighErrorRatio') && m.subject.includes('loud-job'),
        30_000,
      );
      expect((await mail.emails()).filter((m) => m.subject.includes('muted-job'))).toEqual([]);
      const held = (await (await fetch(`${alertmanager.url}/api/v2/alerts?silenced=true`)).json()) as {
        labels: Record<string, string>;
        status: { state: string; silencedBy: string[] };
      }[];
      expect(held.find((a) => a.labels.job === 'muted-job')?.status).toMatchObject({
        state: 'suppressed',
        silencedBy: [id],
      });
      const firing = await ask('firing-2', 'what is firing?');
      expect(answerText(firing)).toContain('loud-job');
      expect(answerText(firing)).not.toContain('muted-job');
      expect(answerText(firing)).toMatch(/\d+ more (is|are) silenced or inhibited/);

      reportFigure(
        `telex agent: "silence HighErrorRatio on muted-job for 1h because we are deploying" answered:\n${text}`,
      );
      const ended = await ask('unsilence-1', `unsilence ${id}`);
      expect(answerText(ended)).toBe(`**Silence ended**: \`${id}\`; its alerts notify again.`);
      const after = (await (await fetch(`${alertmanager.url}/api/v2/silence/${id}`)).json()) as Silence;
      expect(after.status.state).toBe('expired');
    }, 60_000);
  },
);
