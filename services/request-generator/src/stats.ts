import { TRAFFIC_ROUTES, type TrafficRoute } from './traffic.ts';

/** How one request ended. `refused` means nothing listened; the rest of the non-responses are failures. */
export type Outcome = (
  | { kind: 'response'; status: number }
  | { kind: 'refused' | 'timeout' | 'reset' | 'error'; message?: string }
) & {
  /** Sent twice: the first connection closed before any answer (see http.ts). */
  retried?: boolean;
};

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_MS = 600_000;
const BUCKETS = Math.ceil(Math.log(MAX_MS * 1000) / LOG_GROWTH) + 2;

/** Log-bucketed latencies: 1% relative error, fixed memory however long the run. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;
  #max = 0;

  record(ms: number): void {
    const micros = Math.max(1, Math.min(ms, MAX_MS) * 1000);
    const bucket = Math.ceil(Math.log(micros) / LOG_GROWTH);
    this.#counts[bucket] = (this.#counts[bucket] as number) + 1;
    this.#total++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#total;
  }

  get maxMs(): number {
    return this.#max;
  }

  /** The upper bound of the bucket that holds quantile q (0..1), in ms; 0 when empty. */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(GROWTH ** i / 1000, this.#max);
    }
    return this.#max;
  }
}

export interface RouteTally {
  sent: number;
  statuses: Record<string, number>;
}

export interface Tally {
  /** Arrivals scheduled: sent + skipped. */
  scheduled: number;
  sent: number;
  /** Arrivals dropped because max-in-flight requests were outstanding (the client, not the server, was full). */
  skipped: number;
  statusClasses: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
  /** 5xx answers we asked for: /error and fault-injected requests. */
  expected5xx: number;
  unexpected5xx: number;
  refused: number;
  /** Requests sent again after their connection closed before any answer; their outcome is the retry's. */
  retried: number;
  timeout: number;
  reset: number;
  error: number;
  latency: LatencyHistogram;
  byRoute: Record<TrafficRoute, RouteTally>;
}

export function newTally(): Tally {
  return {
    scheduled: 0,
    sent: 0,
    skipped: 0,
    statusClasses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    expected5xx: 0,
    unexpected5xx: 0,
    refused: 0,
    retried: 0,
    timeout: 0,
    reset: 0,
    error: 0,
    latency: new LatencyHistogram(),
    byRoute: Object.fromEntries(TRAFFIC_ROUTES.map((route) => [route, { sent: 0, statuses: {} }])) as Record<
      TrafficRoute,
      RouteTally
    >,
  };
}

export function recordSkip(tally: Tally): void {
  tally.scheduled++;
  tally.skipped++;
}

export function recordSend(tally: Tally, route: TrafficRoute): void {
  tally.scheduled++;
  tally.sent++;
  tally.byRoute[route].sent++;
}

export function recordOutcome(
  tally: Tally,
  route: TrafficRoute,
  expectFailure: boolean,
  outcome: Outcome,
  latencyMs: number,
): void {
  if (outcome.retried) tally.retried++;
  if (outcome.kind !== 'response') {
    tally[outcome.kind]++;
    return;
  }
  tally.latency.record(latencyMs);
  const statuses = tally.byRoute[route].statuses;
  statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  const statusClass = `${Math.floor(outcome.status / 100)}xx` as keyof Tally['statusClasses'];
  if (statusClass in tally.statusClasses) tally.statusClasses[statusClass]++;
  if (outcome.status >= 500) {
    if (expectFailure) tally.expected5xx++;
    else tally.unexpected5xx++;
  }
}

export function failures(tally: Tally): number {
  return tally.timeout + tally.reset + tally.error + tally.unexpected5xx;
}

export function answered(tally: Tally): number {
  return tally.latency.count;
}
