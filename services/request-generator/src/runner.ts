import type { RandomSource } from './random.ts';
import { meanRate, type Phase, phaseAt } from './scenarios.ts';
import {
  answered,
  newTally,
  type Outcome,
  recordOutcome,
  recordSend,
  recordSkip,
  type Tally,
} from './stats.ts';
import { arrivalsInSecond, type PlannedRequest, planRequest, weightedPicker } from './traffic.ts';

/** Monotonic milliseconds and a sleep; injected so tests drive the schedule with a fake clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type Send = (request: PlannedRequest) => Promise<Outcome>;

export interface RunPlan {
  phases: Phase[];
  /** 0 runs until the signal aborts. */
  durationSeconds: number;
  maxInFlight: number;
  reportEverySeconds: number;
  /** How long to wait for outstanding requests after the schedule stops. */
  drainMs: number;
}

export interface Progress {
  elapsedSeconds: number;
  windowSeconds: number;
  phase: Phase;
  inFlight: number;
  window: Tally;
  total: Tally;
}

export interface RunResult {
  elapsedSeconds: number;
  total: Tally;
  /** Requests still outstanding when the drain timed out. */
  abandoned: number;
  /** The offered rate averaged over the run, from the phases. */
  targetRate: number;
}

export interface RunDeps {
  clock: Clock;
  random: RandomSource;
  send: Send;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** Longest sleep between checks of the stop signal and the report timer. */
const MAX_IDLE_MS = 50;

/**
 * An open-model load loop: arrivals come at random instants, the phase's rate each second, whatever the
 * responses do, and each latency is measured from the arrival's intended time, so a slow server
 * shows up as latency rather than as fewer requests (no coordinated omission).
 */
export async function runTraffic(plan: RunPlan, deps: RunDeps): Promise<RunResult> {
  const { clock, random, send } = deps;
  const total = newTally();
  let window = newTally();
  const started = clock.now();
  const endAt = plan.durationSeconds > 0 ? started + plan.durationSeconds * 1000 : Number.POSITIVE_INFINITY;
  const reportEveryMs = plan.reportEverySeconds * 1000;
  let nextReport = reportEveryMs > 0 ? started + reportEveryMs : Number.POSITIVE_INFINITY;
  let lastReport = started;
  let inFlight = 0;
  const outstanding = new Set<Promise<void>>();

  let phase = phaseAt(plan.phases, 0);
  let pick = weightedPicker(phase.weights, random);
  // Arrivals are planned one second at a time: `pending` holds the current second's, in order.
  let second = 0;
  let carry = 0;
  let pending: number[] = [];
  let nextIndex = 0;
  const planSecond = () => {
    const planned = arrivalsInSecond(phaseAt(plan.phases, second * 1000).rate, carry, random);
    carry = planned.carry;
    pending = planned.offsetsMs.map((offset) => started + second * 1000 + offset);
    nextIndex = 0;
    second++;
  };
  planSecond();
  const nextArrivalAt = (): number => {
    while (nextIndex >= pending.length) planSecond();
    return pending[nextIndex] as number;
  };

  const dispatch = (intendedAt: number) => {
    const currentPhase = phaseAt(plan.phases, intendedAt - started);
    if (currentPhase !== phase) {
      phase = currentPhase;
      pick = weightedPicker(phase.weights, random);
    }
    if (inFlight >= plan.maxInFlight) {
      recordSkip(total);
      recordSkip(window);
      return;
    }
    const request = planRequest(pick(), phase.faultShare, random);
    recordSend(total, request.route);
    recordSend(window, request.route);
    inFlight++;
    const done: Promise<void> = send(request)
      .catch((error: unknown): Outcome => ({ kind: 'error', message: String(error) }))
      .then((outcome) => {
        const latency = clock.now() - intendedAt;
        recordOutcome(total, request.route, request.expectFailure, outcome, latency);
        recordOutcome(window, request.route, request.expectFailure, outcome, latency);
      })
      .finally(() => {
        inFlight--;
        outstanding.delete(done);
      });
    outstanding.add(done);
  };

  const report = (now: number) => {
    deps.onProgress?.({
      elapsedSeconds: (now - started) / 1000,
      windowSeconds: (now - lastReport) / 1000,
      phase,
      inFlight,
      window,
      total,
    });
    window = newTally();
    lastReport = now;
  };

  while (!deps.signal?.aborted) {
    const now = clock.now();
    if (now >= endAt) break;
    while (nextArrivalAt() <= now && nextArrivalAt() < endAt) {
      dispatch(nextArrivalAt());
      nextIndex++;
    }
    if (now >= nextReport) {
      report(now);
      nextReport += reportEveryMs;
    }
    const wakeAt = Math.min(nextArrivalAt(), nextReport, endAt);
    await clock.sleep(Math.max(0, Math.min(wakeAt - clock.now(), MAX_IDLE_MS)));
  }

  const stoppedAt = Math.min(clock.now(), endAt);
  const drainDeadline = clock.now() + plan.drainMs;
  while (outstanding.size > 0 && clock.now() < drainDeadline) {
    await clock.sleep(Math.min(MAX_IDLE_MS, drainDeadline - clock.now()));
  }
  if (answered(window) + window.skipped > 0 && reportEveryMs > 0) report(clock.now());
  return {
    elapsedSeconds: (stoppedAt - started) / 1000,
    total,
    abandoned: outstanding.size,
    targetRate: meanRate(plan.phases, stoppedAt - started),
  };
}
