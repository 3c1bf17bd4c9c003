import type { Weights } from './traffic.ts';

export const SCENARIOS = ['steady', 'spike', 'errors', 'latency', 'budget-burn', 'cpu', 'leak'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Phase {
  name: string;
  /** Seconds this phase lasts; the last phase lasts until the run ends. */
  seconds: number;
  rate: number;
  weights: Weights;
  /** Share of ep_* requests sent with ?fail=true, so working routes fail on purpose. */
  faultShare: number;
}

export interface ScenarioSettings {
  rate: number;
  spikeRate: number;
  spikeSeconds: number;
  weights?: Weights;
}

/**
 * Mostly fast routes: the overall p95 stays near 200 ms, under the 250 ms warning, and /error
 * stays a small share, so the dashboards are alive and no alert fires.
 */
export const STEADY_WEIGHTS: Weights = {
  ep_one: 60,
  ep_two: 22,
  ep_three: 3,
  ep_four: 1,
  error: 5,
  counter: 4,
  increment: 4,
  not_found: 1,
  report: 0,
  session: 0,
};

/** Slow routes dominate, so the overall p95 crosses 500 ms (HighLatencyP95 critical). */
export const LATENCY_WEIGHTS: Weights = {
  ep_one: 5,
  ep_two: 15,
  ep_three: 40,
  ep_four: 40,
  error: 0,
  counter: 0,
  increment: 0,
  not_found: 0,
  report: 0,
  session: 0,
};

/** /error takes a third of the traffic and a fifth of the working routes fail (HighErrorRatio). */
export const ERRORS_WEIGHTS: Weights = { ...STEADY_WEIGHTS, error: 35 };
export const ERRORS_FAULT_SHARE = 0.2;

/**
 * About 3% of requests to the working routes fail (the ep_* routes are 86 of the 95 working
 * weights): under HighErrorRatio's 5%, so no threshold alert fires, while the webapp's 99.9%
 * availability SLO burns its budget 30 times as fast as 30 days allow, over its page's 14.4.
 */
export const BUDGET_BURN_FAULT_SHARE = 0.033;

/**
 * Nine requests in ten are reports, each holding the one thread for REPORT_CPU_MS (200 ms): at the
 * default 5 a second, about 0.9 of a core in the webapp's `checksum`, and every other request
 * waits behind them (HighCPU, EventLoopBlocked).
 */
export const CPU_WEIGHTS: Weights = { ...STEADY_WEIGHTS, report: 900 };

/**
 * One request in five opens a session that keeps SESSION_KIB (1 MiB) for SESSION_TTL_SECONDS
 * (10 min): at the default 5 a second, the heap grows about 60 MiB a minute toward V8's limit
 * (HeapGrowingToLimit, then HeapNearLimit), until the webapp keeps no more near 90% of it; the
 * sessions expire ten minutes after the scenario stops.
 */
export const LEAK_WEIGHTS: Weights = { ...STEADY_WEIGHTS, session: 25 };

/** Warm-up before the spike, so the dashboards show the step. */
export const SPIKE_WARM_UP_SECONDS = 15;

export function scenarioPhases(name: ScenarioName, settings: ScenarioSettings): Phase[] {
  const base = { rate: settings.rate, faultShare: 0 };
  // One phase for the whole run, at the base rate.
  const throughout = (weights: Weights, faultShare = 0): Phase[] => [
    { name, seconds: Number.POSITIVE_INFINITY, ...base, weights: settings.weights ?? weights, faultShare },
  ];
  switch (name) {
    case 'steady':
      return throughout(STEADY_WEIGHTS);
    case 'latency':
      return throughout(LATENCY_WEIGHTS);
    case 'errors':
      return throughout(ERRORS_WEIGHTS, ERRORS_FAULT_SHARE);
    case 'budget-burn':
      return throughout(STEADY_WEIGHTS, BUDGET_BURN_FAULT_SHARE);
    case 'cpu':
      return throughout(CPU_WEIGHTS);
    case 'leak':
      return throughout(LEAK_WEIGHTS);
    case 'spike': {
      const weights = settings.weights ?? STEADY_WEIGHTS;
      return [
        { name: 'warm-up', seconds: SPIKE_WARM_UP_SECONDS, ...base, weights },
        { name: 'spike', seconds: settings.spikeSeconds, rate: settings.spikeRate, weights, faultShare: 0 },
        { name: 'recovery', seconds: Number.POSITIVE_INFINITY, ...base, weights },
      ];
    }
  }
}

/** The phase in force `elapsedMs` after the start. */
export function phaseAt(phases: readonly Phase[], elapsedMs: number): Phase {
  let end = 0;
  for (const phase of phases) {
    end += phase.seconds * 1000;
    if (elapsedMs < end) return phase;
  }
  return phases[phases.length - 1] as Phase;
}

/** The phases' rate averaged over the first `elapsedMs`: what the run was meant to offer. */
export function meanRate(phases: readonly Phase[], elapsedMs: number): number {
  if (elapsedMs <= 0) return phases[0]?.rate ?? 0;
  let start = 0;
  let requests = 0;
  for (const phase of phases) {
    const end = Math.min(start + phase.seconds * 1000, elapsedMs);
    if (end > start) requests += (phase.rate * (end - start)) / 1000;
    start += phase.seconds * 1000;
    if (start >= elapsedMs) break;
  }
  return requests / (elapsedMs / 1000);
}
