import type { RandomSource } from './random.ts';

/** Every kind of request the generator sends; `not_found` hits random paths to show unmatched routes collapse. */
export const TRAFFIC_ROUTES = [
  'ep_one',
  'ep_two',
  'ep_three',
  'ep_four',
  'error',
  'counter',
  'increment',
  'not_found',
  'report',
  'session',
] as const;
export type TrafficRoute = (typeof TRAFFIC_ROUTES)[number];
export type Weights = Record<TrafficRoute, number>;

/** Routes that are supposed to work, so a 5xx from them is a real failure unless we injected it. */
const FAULT_INJECTABLE: ReadonlySet<TrafficRoute> = new Set(['ep_one', 'ep_two', 'ep_three', 'ep_four']);

export interface PlannedRequest {
  route: TrafficRoute;
  method: 'GET' | 'POST';
  path: string;
  /** True when this request asks the webapp for a 500 (fault injection) or targets /error. */
  expectFailure: boolean;
}

export function planRequest(route: TrafficRoute, faultShare: number, random: RandomSource): PlannedRequest {
  switch (route) {
    case 'error':
      return { route, method: 'GET', path: '/error', expectFailure: true };
    case 'counter':
      return { route, method: 'GET', path: '/counter', expectFailure: false };
    case 'increment':
      return { route, method: 'POST', path: '/counter/increment', expectFailure: false };
    case 'report':
      return { route, method: 'GET', path: '/report', expectFailure: false };
    case 'session':
      return { route, method: 'POST', path: '/sessions', expectFailure: false };
    case 'not_found':
      return {
        route,
        method: 'GET',
        path: `/missing/${Math.floor(random() * 1e9).toString(36)}`,
        expectFailure: false,
      };
    default: {
      const inject = FAULT_INJECTABLE.has(route) && faultShare > 0 && random() < faultShare;
      return {
        route,
        method: 'GET',
        path: inject ? `/${route}?fail=true` : `/${route}`,
        expectFailure: inject,
      };
    }
  }
}

/** Cumulative weights, so a pick is one random draw and a short scan. */
export function weightedPicker(weights: Weights, random: RandomSource): () => TrafficRoute {
  const entries = TRAFFIC_ROUTES.filter((route) => weights[route] > 0).map(
    (route) => [route, weights[route]] as const,
  );
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (entries.length === 0 || !(total > 0))
    throw new RangeError('at least one route needs a positive weight');
  const cumulative: number[] = [];
  let running = 0;
  for (const [, weight] of entries) {
    running += weight / total;
    cumulative.push(running);
  }
  return () => {
    const draw = random();
    for (let i = 0; i < cumulative.length; i++) {
      if (draw < (cumulative[i] as number)) return (entries[i] as readonly [TrafficRoute, number])[0];
    }
    return (entries[entries.length - 1] as readonly [TrafficRoute, number])[0];
  };
}

/**
 * The arrivals of one second at `rate` per second, as offsets in ms from the second's start: the
 * count is exact (fractions carry into the next second) and the instants are uniform random, which
 * is a Poisson process conditioned on its count. So the offered rate is exact over any whole
 * second, yet arrivals still come in random bursts and gaps, as real traffic does.
 */
export function arrivalsInSecond(
  rate: number,
  carry: number,
  random: RandomSource,
): { offsetsMs: number[]; carry: number } {
  const wanted = rate + carry;
  const count = Math.floor(wanted);
  const offsetsMs = Array.from({ length: count }, () => random() * 1000).sort((a, b) => a - b);
  return { offsetsMs, carry: wanted - count };
}
