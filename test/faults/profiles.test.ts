// The profile of the moment when things go wrong, on the real stack with the cpu scenario: an
// instance that never had the profiler, a capture already running when the alert asks for one, the
// profile store full, and the profiled instance killed in the middle of its capture. Each time the
// EventLoopBlocked email still arrives, says in its profile line what happened, and nothing else
// breaks (the collector keeps serving, the webapp serves again).
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileStore } from '@fos/profile-collector/store';
import type { Mail } from '@fos/stack/maildev';
import { waitFor } from '@fos/stack/process';
import type { Stack } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { afterAll, describe, expect, it } from 'vitest';
import { table } from '../../bench/lib/table.ts';
import { profileFunctions } from '../support/email-links.ts';
import { reportFigure } from '../support/report.ts';
import { withStack } from '../support/with-stack.ts';

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');
// Three reports a second: 60% of the webapp's thread, every block 200 ms (EventLoopBlocked's p99),
// with room left for its scrapes: at the default 5 a busy machine's queue grows until scrapes time
// out, and the alert starts over before its `for:` (a CI run saw it).
const CPU = ['--scenario', 'cpu', '--rate', '3'];
const rows: string[][] = [];
afterAll(() => {
  if (rows.length === 0) return;
  reportFigure(
    `profile faults, the cpu scenario on the local stack:\n${table([
      ['fault', 'scenario start to EventLoopBlocked email', "the email's profile line"],
      ...rows,
    ])}`,
  );
});

/** The first EventLoopBlocked email, and the seconds from `startedAt` to its arrival. */
async function eventLoopEmail(stack: Stack, startedAt: number): Promise<{ mail: Mail; seconds: string }> {
  const mail = await stack.maildev.waitForEmail(
    'the EventLoopBlocked email',
    (m) => m.subject.startsWith('[FIRING') && m.subject.includes('EventLoopBlocked'),
    240_000,
  );
  return { mail, seconds: ((Date.parse(mail.time) - startedAt) / 1000).toFixed(1) };
}

const profileLine = (mail: Mail) => /^ {2}profile: {7}(.*)$/m.exec(mail.text)?.[1] ?? '';

async function collectorMetric(stack: Stack, line: string): Promise<boolean> {
  const text = await (await fetch(`${stack.profileCollectorUrl}/metrics`)).text();
  return text.split('\n').includes(line);
}

/** The collector's captures of an outcome, and its captures' lines (for a failing test's message). */
async function captures(stack: Stack, outcome: string): Promise<{ count: number; lines: string }> {
  const text = await (await fetch(`${stack.profileCollectorUrl}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith('profile_captures_total{'));
  const line = lines.find((l) =>
    l.startsWith(`profile_captures_total{profile_type="cpu",outcome="${outcome}"} `),
  );
  return { count: Number(line?.split(' ')[1] ?? 0), lines: lines.join('\n') };
}

// One stack at a time: four burning a core each beside the fault suite's four stacks made that
// suite's timing-sensitive checks flaky.
describe.skipIf(!binaries)('profile faults on the real stack', () => {
  it('says a service without the profiler has none, and mails as fast', async () => {
    const startedAt = Date.now();
    await withStack({ generator: CPU, webappEnv: { PROFILER_TOKEN_FILE: '' } }, async (stack) => {
      const { mail, seconds } = await eventLoopEmail(stack, startedAt);
      const instance = stack.webapps[0]?.target;
      expect(profileLine(mail)).toBe(
        `no profile: ${instance} has no profiler: register @fos/fastify-profiler in the service to get one`,
      );
      const asked = await captures(stack, 'no_profiler');
      expect(asked.count, asked.lines).toBeGreaterThanOrEqual(1);
      rows.push(['instance without the plugin', `${seconds} s`, profileLine(mail)]);
    });
  }, 330_000);

  it('says a capture was already running when the alert asked for one', async () => {
    const startedAt = Date.now();
    await withStack({ generator: CPU }, async (stack) => {
      const webapp = stack.webapps[0];
      const token = (await readFile(stack.profilerTokenFile, 'utf8')).trim();
      // Someone else's capture, as long as the profiler allows, from the start and again until the email.
      let mailed = false;
      const others = (async () => {
        while (!mailed) {
          const response = await fetch(`${webapp?.url}/debug/profile/cpu?seconds=30`, {
            headers: { authorization: `Bearer ${token}` },
          }).catch(() => undefined);
          await response?.arrayBuffer();
        }
      })();
      const { mail, seconds } = await eventLoopEmail(stack, startedAt).finally(() => {
        mailed = true;
      });
      await others;
      expect(profileLine(mail)).toBe(`no profile: a capture was already running at ${webapp?.target}`);
      const refused = await captures(stack, 'busy');
      expect(refused.count, refused.lines).toBeGreaterThanOrEqual(1);
      rows.push(['a capture already running', `${seconds} s`, profileLine(mail)]);
    });
  }, 330_000);

  it('drops the oldest profile from a full store, counts it, and mails the new one', async () => {
    const startedAt = Date.now();
    // A store an earlier run filled to its bound (STORE_MAX_PROFILES=2).
    const dir = join(tmpdir(), `fos-full-store-${process.pid}-${Date.now()}`);
    await mkdir(dir, { recursive: true });
    const earlier = new ProfileStore(dir, { maxProfiles: 2, maxBytes: 1 << 30 });
    await earlier.open();
    const kept: string[] = [];
    for (const minute of [1, 2]) {
      const id = ProfileStore.newId('cpu', new Date(Date.UTC(2026, 0, 1, 0, minute)));
      kept.push(id);
      await earlier.add(
        {
          id,
          type: 'cpu',
          job: 'webapp',
          instance: 'earlier:3000',
          alerts: ['EventLoopBlocked'],
          capturedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
          seconds: 5,
          workingDirectory: '/',
          top: [],
        },
        Buffer.from('{"nodes":[],"startTime":0,"endTime":0,"samples":[],"timeDeltas":[]}'),
      );
    }
    await withStack(
      { generator: CPU, profileCollectorEnv: { PROFILE_DIR: dir, STORE_MAX_PROFILES: '2' } },
      async (stack) => {
        const { mail, seconds } = await eventLoopEmail(stack, startedAt);
        expect(profileFunctions(mail).slice(0, 3)).toContain('checksum');
        expect(await collectorMetric(stack, 'profile_store_dropped_total{reason="oldest"} 1')).toBe(true);
        const listed = (await (await fetch(`${stack.profileCollectorUrl}/profiles`)).json()) as {
          profiles: { id: string }[];
        };
        expect(listed.profiles.map((p) => p.id)).toHaveLength(2);
        expect(listed.profiles.map((p) => p.id)).not.toContain(kept[0]);
        expect(listed.profiles[1]?.id).toBe(kept[1]);
        rows.push([
          'store full (2 of 2)',
          `${seconds} s`,
          `${profileLine(mail)} ${profileFunctions(mail)[0]}; oldest dropped`,
        ]);
      },
    );
  }, 330_000);

  it('says the instance went away when it is killed during its capture, and the webapp serves again', async () => {
    const startedAt = Date.now();
    await withStack({ generator: CPU, profileCollectorEnv: { CPU_PROFILE_SECONDS: '10' } }, async (stack) => {
      const webapp = stack.webapps[0];
      if (!webapp) throw new Error('no webapp');
      // Watched from the collector: the webapp's own /metrics waits behind the reports that block it.
      await waitFor(
        "the collector's capture under way",
        () => collectorMetric(stack, 'profile_captures_running 1').then((ok) => ok || undefined),
        { timeoutMs: 180_000, intervalMs: 250 },
      );
      webapp.process?.signal('SIGKILL');
      await webapp.process?.exited;
      await webapp.start(20_000);
      await waitFor(
        'the interrupted capture counted',
        async () => {
          const text = await (await fetch(`${stack.profileCollectorUrl}/metrics`)).text();
          return (
            /^profile_captures_total\{profile_type="cpu",outcome="interrupted"\} [1-9]/m.test(text) ||
            undefined
          );
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const { mail, seconds } = await eventLoopEmail(stack, startedAt);
      // The episode the kill interrupted says so, and so do the ones after the restart: they start
      // within the collector's cooldown, which takes no second profile of a process so hard pressed.
      const line = profileLine(mail);
      expect(line).toMatch(
        new RegExp(`^no profile: ${webapp.target.replace(/\./g, '\\.')} went away during the 10s capture: `),
      );
      expect((await fetch(`${webapp.url}/ready`)).status).toBe(200);
      expect((await fetch(`${stack.profileCollectorUrl}/ready`)).status).toBe(200);
      rows.push(['instance killed mid-capture', `${seconds} s`, line]);
    });
  }, 330_000);
});
