import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/random.ts';
import { type Progress, type RunPlan, runTraffic, type Send } from '../src/runner.ts';
import { type Phase, STEADY_WEIGHTS, scenarioPhases } from '../src/scenarios.ts';
import { FakeClock } from './fake-clock.ts';

const steady = (rate: number): Phase[] => scenarioPhases('steady', { rate, spikeRate: 1, spikeSeconds: 1 });

function plan(overrides: Partial<RunPlan>): RunPlan {
  return {
    phases: steady(100),
    durationSeconds: 10,
    maxInFlight: 1000,
    reportEverySeconds: 0,
    drainMs: 5000,
    ...overrides,
  };
}

const ok: Send = async () => ({ kind: 'response', status: 200 });

describe('runTraffic', () => {
  it('sends at the target rate on a fake clock', async () => {
    const clock = new FakeClock();
    const result = await runTraffic(plan({ durationSeconds: 60 }), {
      clock,
      random: seededRandom(1),
      send: ok,
    });
    expect(result.elapsedSeconds).toBeCloseTo(60, 1);
    // Exact: each second offers the rate, at random instants.
    expect(result.total.sent).toBe(6000);
    expect(result.targetRate).toBeCloseTo(100, 6);
  });

  it('follows the spike scenario from phase to phase', async () => {
    const clock = new FakeClock();
    const sentAt: number[] = [];
    const send: Send = async () => {
      sentAt.push(clock.now());
      return { kind: 'response', status: 200 };
    };
    const phases = scenarioPhases('spike', { rate: 10, spikeRate: 100, spikeSeconds: 30 });
    await runTraffic(plan({ phases, durationSeconds: 75 }), { clock, random: seededRandom(2), send });
    const inWindow = (from: number, to: number) =>
      sentAt.filter((t) => t >= from * 1000 && t < to * 1000).length;
    expect(inWindow(0, 15) / 15).toBeGreaterThan(7);
    expect(inWindow(0, 15) / 15).toBeLessThan(13);
    expect(inWindow(15, 45) / 30).toBeGreaterThan(92);
    expect(inWindow(15, 45) / 30).toBeLessThan(108);
    expect(inWindow(45, 75) / 30).toBeGreaterThan(7);
    expect(inWindow(45, 75) / 30).toBeLessThan(13);
  });

  it('keeps sending on schedule while the server is slow, and measures from the intended time', async () => {
    const clock = new FakeClock();
    // The server stalls for 2 s on the first request only.
    let first = true;
    const send: Send = async () => {
      const stall = first ? 2000 : 10;
      first = false;
      await clock.after(stall);
      return { kind: 'response', status: 200 };
    };
    const result = await runTraffic(plan({ phases: steady(50), durationSeconds: 10 }), {
      clock,
      random: seededRandom(3),
      send,
    });
    // A closed-loop client would have sent nothing during the stall; an open model keeps the rate.
    expect(result.total.sent).toBeGreaterThan(450);
    expect(result.total.latency.maxMs).toBeGreaterThanOrEqual(2000);
    expect(result.total.latency.quantile(0.5)).toBeLessThan(20);
  });

  it('counts arrivals past the in-flight limit as skipped', async () => {
    const clock = new FakeClock();
    const send: Send = async () => {
      await clock.after(1000);
      return { kind: 'response', status: 200 };
    };
    const result = await runTraffic(plan({ phases: steady(100), durationSeconds: 5, maxInFlight: 10 }), {
      clock,
      random: seededRandom(4),
      send,
    });
    expect(result.total.skipped).toBeGreaterThan(400);
    expect(result.total.sent).toBeLessThanOrEqual(60);
    expect(result.total.scheduled).toBe(result.total.sent + result.total.skipped);
  });

  it('stops on the abort signal, drains what is in flight and reports each interval', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const reports: Progress[] = [];
    const send: Send = async () => {
      await clock.after(50);
      if (clock.now() > 12_000) controller.abort();
      return { kind: 'response', status: 200 };
    };
    const result = await runTraffic(plan({ durationSeconds: 0, reportEverySeconds: 5 }), {
      clock,
      random: seededRandom(5),
      send,
      signal: controller.signal,
      onProgress: (progress) => reports.push(progress),
    });
    expect(result.elapsedSeconds).toBeGreaterThan(12);
    expect(result.elapsedSeconds).toBeLessThan(12.2);
    expect(result.abandoned).toBe(0);
    expect(result.total.latency.count).toBe(result.total.sent);
    expect(reports.map((r) => Math.round(r.elapsedSeconds))).toEqual([5, 10, 12]);
    expect(reports.reduce((sum, r) => sum + r.window.sent, 0)).toBe(result.total.sent);
  });

  it('tells expected 5xx from unexpected ones, and refused from failed', async () => {
    const clock = new FakeClock();
    let n = 0;
    const send: Send = async (request) => {
      n++;
      if (n % 10 === 0) return { kind: 'refused' };
      if (n % 10 === 1) return { kind: 'reset' };
      if (request.route === 'error') return { kind: 'response', status: 500 };
      if (request.route === 'ep_two') return { kind: 'response', status: 503 };
      return { kind: 'response', status: 200 };
    };
    const result = await runTraffic(plan({ durationSeconds: 10 }), { clock, random: seededRandom(6), send });
    const { total } = result;
    expect(total.refused).toBe(Math.floor(n / 10));
    expect(total.reset).toBe(Math.ceil(n / 10));
    expect(total.expected5xx).toBeGreaterThan(0);
    expect(total.unexpected5xx).toBe(total.byRoute.ep_two.statuses['503'] ?? 0);
    expect(total.unexpected5xx).toBeGreaterThan(0);
    expect(total.statusClasses['5xx']).toBe(total.expected5xx + total.unexpected5xx);
    expect(STEADY_WEIGHTS.error).toBeGreaterThan(0);
  });
});
