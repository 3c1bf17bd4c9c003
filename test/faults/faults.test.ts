// `make faults`: the real stack (packages/stack, pinned Prometheus and the Alertmanager pair) with every
// part killed and restarted while an alert fires and while it resolves. See docs/testing.md, "Faults".

import type { Mail } from '@fos/stack/maildev';
import { waitFor } from '@fos/stack/process';
import { Stack, type Webapp } from '@fos/stack/stack';
import { pinnedTool } from '@fos/stack/tools';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_STACK_DASHBOARDS,
  expectEveryPanelHasData,
  expectWebappTargetsUp,
  MEMORY_LIMIT_RULES,
} from '../support/acceptance.ts';
import { reportFigure } from '../support/report.ts';
import { describeFault, type Fault, faultPlan, type Incident } from './plan.ts';

/** Every route well under the latency SLO's 500 ms, whatever the machine's load. */
const FAST_ROUTES = {
  EP_ONE_LATENCY: '20:40',
  EP_TWO_LATENCY: '20:40',
  EP_THREE_LATENCY: '20:40',
  EP_FOUR_LATENCY: '20:40',
};

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');
const STACKS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Samples every webapp target has had over a window: what a restart of Prometheus must keep. */
const HISTORY = 'sum(count_over_time(up{job="webapp"}[3m]))';

interface Row {
  fault: string;
  expected: number;
  received: number;
  duplicated: number;
  samplesLost: number;
  recoverySeconds: number;
}
const rows: Row[] = [];

interface LiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

/**
 * The victim's InstanceDown as the rule engine holds it now (/api/v1/alerts). Not the ALERTS series:
 * a restarted Prometheus writes no staleness marker for the series of the process before it, so the
 * old series reads as firing for the 5 minutes of the lookback.
 */
async function liveAlert(stack: Stack, victim: Webapp): Promise<LiveAlert | undefined> {
  const response = await fetch(`${stack.prometheus.url}/api/v1/alerts`);
  const body = (await response.json()) as { data: { alerts: LiveAlert[] } };
  return body.data.alerts.find(
    (a) => a.labels.alertname === 'InstanceDown' && a.labels.instance === victim.target,
  );
}

/** Kills `fault.part` with its signal and starts it again; returns the seconds until it is back. */
async function inject(stack: Stack, fault: Fault): Promise<number> {
  const started = Date.now();
  switch (fault.part) {
    case 'webapp': {
      // The other webapp (the victim is the incident): back within a scrape, so no alert of its own.
      const webapp = stack.webapps[0] as Webapp;
      webapp.process?.signal(fault.signal);
      await webapp.process?.exited;
      await webapp.start();
      break;
    }
    case 'prometheus':
      await stack.prometheus.restart(fault.signal);
      break;
    case 'alertmanager-1':
    case 'alertmanager-2': {
      const alertmanager = stack.alertmanagers[fault.part === 'alertmanager-1' ? 0 : 1];
      await alertmanager?.restart(fault.signal);
      // Back means back in the cluster: it has its peer again, and with it the notification log.
      await waitFor(
        `${fault.part} rejoined`,
        async () => {
          const status = (await (await fetch(`${alertmanager?.url}/api/v2/status`)).json()) as {
            cluster: { peers: unknown[] };
          };
          return status.cluster.peers.length === 2 || undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      break;
    }
    case 'maildev':
      await stack.maildev.restart(fault.signal);
      break;
    case 'generator': {
      const generator = stack.generators.pop();
      generator?.process.signal(fault.signal);
      await generator?.process.exited;
      stack.startGenerator([]);
      break;
    }
  }
  return (Date.now() - started) / 1000;
}

/** Injects `fault`, and measures what it cost: samples of history lost, and seconds to recover. */
async function injectMeasured(
  stack: Stack,
  fault: Fault,
): Promise<{ samplesLost: number; recoverySeconds: number }> {
  const prometheus = stack.prometheus.client;
  const at = new Date(Date.now() - 5000);
  const history = async () => Number((await prometheus.query(HISTORY, at))[0]?.value[1] ?? 0);
  const before = await history();
  const recoverySeconds = await inject(stack, fault);
  // Prometheus answers queries once ready; the history must be all there.
  const after = await waitFor('Prometheus answering', history, { timeoutMs: 30_000 });
  return { samplesLost: before - after, recoverySeconds };
}

async function runIncident(stack: Stack, incident: Incident): Promise<void> {
  const victim = stack.webapps[1] as Webapp;
  const startedAt = Date.now();
  const mine = (mail: Mail) => Date.parse(mail.time) >= startedAt;
  const firingSubject = `[FIRING:1] InstanceDown (critical) on webapp: webapp instance ${victim.target} is down`;
  const resolvedSubject = `[RESOLVED] InstanceDown (critical) on webapp: webapp instance ${victim.target} is up again`;

  const firingNow = async () => {
    const alert = await liveAlert(stack, victim);
    return alert?.state === 'firing' ? alert : undefined;
  };
  victim.process?.signal('SIGKILL');
  const firing = await waitFor('InstanceDown firing', firingNow, { timeoutMs: 60_000, intervalMs: 250 });
  const firingFault = await injectMeasured(stack, incident.whileFiring);
  if (incident.whileFiring.part === 'prometheus') {
    // Restored, not started anew: firing again from the moment its condition began (the rule engine
    // restores after its second evaluation, so within about three evaluations of the restart).
    const restored = await waitFor('the alert firing again after the restart', firingNow, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    // ALERTS_FOR_STATE, which the restore reads, keeps whole seconds.
    const second = (time: string) => Math.floor(Date.parse(time) / 1000);
    expect(second(restored.activeAt), 'the condition began when it began, not at the restart').toBe(
      second(firing.activeAt),
    );
  }
  await stack.maildev.waitForEmail(
    'the firing email',
    (m) => mine(m) && m.subject === firingSubject,
    120_000,
  );

  await victim.start();
  await waitFor(
    'InstanceDown resolved',
    async () => (await liveAlert(stack, victim)) === undefined || undefined,
    {
      timeoutMs: 60_000,
      intervalMs: 250,
    },
  );
  // Prometheus sends the resolution right after the evaluation that saw it.
  await sleep(2000);
  const resolvingFault = await injectMeasured(stack, incident.whileResolving);
  await stack.maildev.waitForEmail(
    'the resolved email',
    (m) => mine(m) && m.subject === resolvedSubject,
    150_000,
  );
  // Long enough for a second copy from the other Alertmanager (it waits 15 s for its peer) to show.
  await sleep(20_000);

  const emails = (await stack.maildev.emails()).filter(mine);
  const count = (subject: string) => emails.filter((m) => m.subject === subject).length;
  const unexpected = emails.filter((m) => m.subject !== firingSubject && m.subject !== resolvedSubject);
  for (const [fault, subject, measured] of [
    [incident.whileFiring, firingSubject, firingFault],
    [incident.whileResolving, resolvedSubject, resolvingFault],
  ] as const) {
    rows.push({
      fault: describeFault(fault),
      expected: 1,
      received: count(subject),
      duplicated: Math.max(0, count(subject) - 1),
      ...measured,
    });
  }
  expect(
    unexpected.map((m) => m.subject),
    'no other email',
  ).toEqual([]);
  expect(count(firingSubject), `${describeFault(incident.whileFiring)}: firing emails`).toBe(1);
  expect(count(resolvedSubject), `${describeFault(incident.whileResolving)}: resolved emails`).toBe(1);
  expect(firingFault.samplesLost + resolvingFault.samplesLost, 'scraped history lost').toBe(0);
  await expectEveryPanelHasData(
    stack.prometheus.client,
    DEMO_STACK_DASHBOARDS,
    0,
    'webapp',
    MEMORY_LIMIT_RULES,
  );
}

function printTable(): void {
  const header = ['fault', 'emails expected', 'received', 'duplicated', 'samples lost', 'recovery s'];
  const lines = rows
    .sort((a, b) => a.fault.localeCompare(b.fault))
    .map((r) =>
      [r.fault, r.expected, r.received, r.duplicated, r.samplesLost, r.recoverySeconds.toFixed(1)].map(
        String,
      ),
    );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  const table = [format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n');
  reportFigure(`fault suite (${rows.length} faults):\n${table}`);
}

describe.skipIf(!binaries).concurrent('faults on the real stack: every part killed and restarted', () => {
  afterAll(printTable);

  it.each(
    faultPlan(STACKS).map((incidents, i) => {
      const faults = incidents.flatMap((incident) => [incident.whileFiring, incident.whileResolving]);
      return [i + 1, faults.map(describeFault).join(', '), incidents] as const;
    }),
  )(
    'stack %i: %s',
    async (_n, _faults, incidents) => {
      // Fast routes: the suite checks InstanceDown's delivery, and the demo's slow profiles (p95 800
      // and 900 ms) let four stacks' load on a busy CI machine burn the latency SLO (a
      // LatencyBudgetBurn ticket fired in one run): a true alert, but not this suite's.
      const stack = await Stack.start({ webapps: 2, grafanaUrl: '', webappEnv: FAST_ROUTES });
      try {
        await expectWebappTargetsUp(stack.prometheus.client, 2, 30_000);
        // History to keep, and every rate window filled.
        await sleep(10_000);
        for (const incident of incidents) await runIncident(stack, incident);
      } catch (error) {
        (error as Error).message += `\n\nprocess logs:\n${stack.logs()}`;
        throw error;
      } finally {
        await stack.stop();
      }
    },
    900_000,
  );
});
