// Shared by every k6 script: the webapp's routes, how to pick one, and what a good answer is.
import { check } from 'k6';
import http from 'k6/http';
import type { ConstantArrivalRateScenario } from 'k6/options';

export const BASE_URL = (__ENV.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

export interface Route {
  /** The `route` tag: thresholds and dashboards group by it. */
  name: string;
  method: 'GET' | 'POST';
  path: string;
  weight: number;
  /** The status a correct answer has; /error answers 500 by design. */
  expectedStatus: number;
}

/** Roughly the request generator's steady mix. */
export const ROUTES: Route[] = [
  { name: 'ep_one', method: 'GET', path: '/ep_one', weight: 60, expectedStatus: 200 },
  { name: 'ep_two', method: 'GET', path: '/ep_two', weight: 22, expectedStatus: 200 },
  { name: 'ep_three', method: 'GET', path: '/ep_three', weight: 3, expectedStatus: 200 },
  { name: 'ep_four', method: 'GET', path: '/ep_four', weight: 1, expectedStatus: 200 },
  { name: 'error', method: 'GET', path: '/error', weight: 5, expectedStatus: 500 },
  { name: 'counter', method: 'GET', path: '/counter', weight: 5, expectedStatus: 200 },
  { name: 'increment', method: 'POST', path: '/counter/increment', weight: 4, expectedStatus: 200 },
];

const TOTAL_WEIGHT = ROUTES.reduce((sum, route) => sum + route.weight, 0);

export function pickRoute(): Route {
  let draw = Math.random() * TOTAL_WEIGHT;
  for (const route of ROUTES) {
    draw -= route.weight;
    if (draw < 0) return route;
  }
  return ROUTES[0] as Route;
}

/**
 * p95 limits per route (P95_LIMIT_MS overrides them all), and a failure ratio that
 * leaves /error out (its 500 is expected, so http_req_failed does not count it).
 */
export function thresholds(
  abortOnFail: boolean,
): Record<string, { threshold: string; abortOnFail: boolean }[]> {
  // The fast routes are held to the 250 ms latency warning; the slow ones to their profile's tail.
  const limits: Record<string, number> = {
    ep_one: 250,
    ep_two: 250,
    ep_three: 1500,
    ep_four: 1500,
    counter: 100,
    increment: 100,
  };
  const result: Record<string, { threshold: string; abortOnFail: boolean }[]> = {
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail }],
    checks: [{ threshold: 'rate>0.99', abortOnFail }],
  };
  for (const [route, ms] of Object.entries(limits)) {
    result[`http_req_duration{route:${route}}`] = [
      { threshold: `p(95)<${__ENV.P95_LIMIT_MS ?? ms}`, abortOnFail: false },
    ];
  }
  return result;
}

/** One request to a random route, tagged and checked. */
export function hitRandomRoute(): void {
  const route = pickRoute();
  const params = {
    tags: { route: route.name },
    responseCallback: http.expectedStatuses(route.expectedStatus),
  };
  const response =
    route.method === 'GET'
      ? http.get(`${BASE_URL}${route.path}`, params)
      : http.post(`${BASE_URL}${route.path}`, null, params);
  check(
    response,
    { [`${route.name} answers ${route.expectedStatus}`]: (r) => r.status === route.expectedStatus },
    {
      route: route.name,
    },
  );
}

export function numberFromEnv(name: string, fallback: number): number {
  const text = __ENV[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${text}"`);
  return value;
}

/**
 * An open-model scenario: `rate` arrivals a second for `durationSeconds`, whatever the answers do.
 * RATE and DURATION_SECONDS override the script's defaults.
 */
export function constantArrival(defaults: {
  rate: number;
  durationSeconds: number;
  preAllocatedVUs: number;
  maxVUs: number;
}): ConstantArrivalRateScenario {
  return {
    executor: 'constant-arrival-rate',
    rate: numberFromEnv('RATE', defaults.rate),
    timeUnit: '1s',
    duration: `${numberFromEnv('DURATION_SECONDS', defaults.durationSeconds)}s`,
    preAllocatedVUs: defaults.preAllocatedVUs,
    maxVUs: defaults.maxVUs,
  };
}
