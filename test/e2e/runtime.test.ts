// The runtime alerts on the real stack (the pinned Prometheus and Alertmanager, the webapp as a
// process, the profile collector): the generator's cpu scenario holds the webapp's event loop in
// checksum, its leak scenario fills a heap given a small limit; each alert's email arrives naming
// the function to blame, its profile downloads and opens in the viewer (headless Chromium), and
// its links lead to data.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mail } from '@fos/stack/maildev';
import type { Stack } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { expectEveryLinkBothWays, profileFunctions } from '../support/email-links.ts';
import { repoPath } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';
import { chromiumInstalled, screenshotViewer } from '../support/viewer.ts';
import { withStack } from '../support/with-stack.ts';

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');
// Kept from the last run and committed as docs/images/profile-flame-graph.png, which docs/alerts.md shows.
const SCREENSHOT = repoPath('test/results/profile-flame-graph.png');

/** The email's profile section, as received. */
const profileSection = (mail: Mail) => /^ {2}profile: {7}[^\n]*(?:\n {17}.*)*/m.exec(mail.text)?.[0] ?? '';
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The first firing email of `alertname`, its time from now and its subject reported. */
async function firingEmail(
  stack: Stack,
  alertname: string,
  scenario: string,
  timeoutMs: number,
): Promise<Mail> {
  const startedAt = Date.now();
  const mail = await stack.maildev.waitForEmail(
    `a ${alertname} email`,
    (m) => m.subject.includes(alertname) && m.subject.startsWith('[FIRING'),
    timeoutMs,
  );
  reportFigure(
    `${alertname}: ${scenario} scenario start to email ${seconds(Date.parse(mail.time) - startedAt)} s; as received: ${mail.subject}`,
  );
  return mail;
}

describe.skipIf(!binaries).concurrent('the runtime alerts on the real stack', () => {
  it("mails EventLoopBlocked while the cpu scenario's reports hold the webapp's event loop", async () => {
    await withStack(
      // 60% of the thread, in blocks of 200 ms: room for the scrapes on a busy machine.
      { generator: ['--scenario', 'cpu', '--rate', '3'], mailWithoutGrafanaToo: true },
      async (stack) => {
        const mail = await firingEmail(stack, 'EventLoopBlocked', 'cpu', 240_000);
        // Each report holds the loop for 200 ms: its p99 delay is about that, whatever the machine.
        expect(mail.subject).toMatch(
          /EventLoopBlocked \(warning\) on webapp: webapp \S+ blocks its event loop for [\d.]+m?s \(p99\)$/,
        );
        // The function the scenario burns, among the top three the email names, as received.
        reportFigure(`EventLoopBlocked email's profile, as received:\n${profileSection(mail)}`);
        expect(profileFunctions(mail).slice(0, 3)).toContain('checksum');
        await expectEveryLinkBothWays(stack, mail, 'EventLoopBlocked');
        // The flame graph, as its recipient opens it.
        if (process.env.CI === 'true' || chromiumInstalled()) {
          const flameGraph = /^ {17}flame graph: (\S+)$/m.exec(mail.text)?.[1] ?? '';
          await mkdir(join(SCREENSHOT, '..'), { recursive: true });
          const shot = await screenshotViewer(flameGraph, SCREENSHOT);
          expect(shot.failed).toEqual([]);
          expect(shot.title).toMatch(/^cpu profile of webapp \S+ at .+ - speedscope$/);
          reportFigure(`flame graph opened in headless Chromium: "${shot.title}", screenshot ${SCREENSHOT}`);
        }
      },
    );
  }, 300_000);

  it('mails HeapNearLimit when the leak scenario fills a heap limited to 96 MiB, and the webapp lives on', async () => {
    await withStack(
      {
        // Sessions of 256 KiB, 5 a second: the heap reaches the webapp's ceiling (75% of its limit,
        // short of the 80% where V8 may end a process) in about a minute, and stays there while they are kept.
        webappEnv: { NODE_OPTIONS: '--max-old-space-size=96', SESSION_KIB: '256' },
        generator: ['--scenario', 'leak', '--rate', '25'],
        mailWithoutGrafanaToo: true,
      },
      async (stack) => {
        const mail = await firingEmail(stack, 'HeapNearLimit', 'leak', 300_000);
        expect(mail.subject).toMatch(
          /HeapNearLimit \(critical\) on webapp: webapp \S+'s heap is at [\d.]+% of its limit$/,
        );
        expect(mail.text).toContain('limit of 96MiB');
        reportFigure(`HeapNearLimit email's profile, as received:\n${profileSection(mail)}`);
        expect(profileFunctions(mail)[0]).toBe('retainSession');
        await expectEveryLinkBothWays(stack, mail, 'HeapNearLimit');
        // It kept no more near the limit, and never died of it.
        const webapp = stack.webapps[0];
        expect((await fetch(`${webapp?.url}/ready`)).status).toBe(200);
        expect(webapp?.process?.running).toBe(true);
      },
    );
  }, 360_000);
});
