import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/random.ts';
import {
  ERRORS_FAULT_SHARE,
  LATENCY_WEIGHTS,
  meanRate,
  phaseAt,
  STEADY_WEIGHTS,
  scenarioPhases,
} from '../src/scenarios.ts';
import {
  arrivalsInSecond,
  planRequest,
  TRAFFIC_ROUTES,
  type TrafficRoute,
  weightedPicker,
} from '../src/traffic.ts';

describe('weightedPicker', () => {
  it('picks routes in proportion to their weights (seeded, within 1.5 points)', () => {
    const random = seededRandom(7);
    const pick = weightedPicker(STEADY_WEIGHTS, random);
    const counts = Object.fromEntries(TRAFFIC_ROUTES.map((route) => [route, 0])) as Record<
      TrafficRoute,
      number
    >;
    const draws = 100_000;
    for (let i = 0; i < draws; i++) counts[pick()]++;
    const total = Object.values(STEADY_WEIGHTS).reduce((a, b) => a + b, 0);
    for (const route of TRAFFIC_ROUTES) {
      expect(
        Math.abs((counts[route] / draws) * 100 - (STEADY_WEIGHTS[route] / total) * 100),
        route,
      ).toBeLessThan(1.5);
    }
  });

  it('never picks a route of weight 0', () => {
    const pick = weightedPicker(LATENCY_WEIGHTS, seededRandom(1));
    for (let i = 0; i < 10_000; i++)
      expect(['error', 'counter', 'increment', 'not_found']).not.toContain(pick());
  });

  it('refuses weights that are all zero', () => {
    const zero = Object.fromEntries(TRAFFIC_ROUTES.map((route) => [route, 0])) as Record<
      TrafficRoute,
      number
    >;
    expect(() => weightedPicker(zero, Math.random)).toThrow(/positive weight/);
  });
});

describe('arrivalsInSecond', () => {
  it('offers exactly the rate each second, carrying fractions, at random instants', () => {
    const random = seededRandom(3);
    let carry = 0;
    const counts: number[] = [];
    const tenths = new Array<number>(10).fill(0);
    for (let second = 0; second < 100; second++) {
      const planned = arrivalsInSecond(2.5, carry, random);
      carry = planned.carry;
      counts.push(planned.offsetsMs.length);
      for (const offset of planned.offsetsMs) {
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(1000);
        const tenth = Math.floor(offset / 100);
        tenths[tenth] = (tenths[tenth] ?? 0) + 1;
      }
      expect([...planned.offsetsMs].sort((a, b) => a - b)).toEqual(planned.offsetsMs);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(250);
    expect(new Set(counts)).toEqual(new Set([2, 3]));
    // Spread over the second, not bunched: every tenth of a second gets a share.
    for (const count of tenths) expect(count).toBeGreaterThan(10);
  });

  it('is random, not a fixed grid: gaps vary', () => {
    const { offsetsMs } = arrivalsInSecond(1000, 0, seededRandom(9));
    const gaps = offsetsMs.slice(1).map((t, i) => t - (offsetsMs[i] as number));
    expect(Math.max(...gaps)).toBeGreaterThan(3);
    expect(Math.min(...gaps)).toBeLessThan(0.1);
  });
});

describe('meanRate', () => {
  it('averages the phases over the time that ran', () => {
    const phases = scenarioPhases('spike', { rate: 10, spikeRate: 100, spikeSeconds: 30 });
    expect(meanRate(phases, 10_000)).toBe(10);
    expect(meanRate(phases, 45_000)).toBeCloseTo((15 * 10 + 30 * 100) / 45, 9);
    expect(meanRate(phases, 60_000)).toBeCloseTo((15 * 10 + 30 * 100 + 15 * 10) / 60, 9);
  });
});

describe('planRequest', () => {
  it('injects faults into working routes at the given share only', () => {
    const random = seededRandom(11);
    let injected = 0;
    for (let i = 0; i < 20_000; i++) {
      const request = planRequest('ep_two', ERRORS_FAULT_SHARE, random);
      if (request.expectFailure) {
        injected++;
        expect(request.path).toBe('/ep_two?fail=true');
      }
    }
    expect(injected / 20_000).toBeCloseTo(ERRORS_FAULT_SHARE, 1);
    expect(planRequest('counter', 1, random)).toMatchObject({ path: '/counter', expectFailure: false });
    expect(planRequest('error', 0, random)).toMatchObject({ path: '/error', expectFailure: true });
    expect(planRequest('increment', 0, random)).toMatchObject({ method: 'POST', path: '/counter/increment' });
    expect(planRequest('not_found', 0, random).path).toMatch(/^\/missing\/[0-9a-z]+$/);
  });
});

describe('scenarios', () => {
  const settings = { rate: 5, spikeRate: 40, spikeSeconds: 60 };

  it('spike: warm-up, spike for the set time, then back to the base rate', () => {
    const phases = scenarioPhases('spike', settings);
    expect(phaseAt(phases, 0)).toMatchObject({ name: 'warm-up', rate: 5 });
    expect(phaseAt(phases, 14_999)).toMatchObject({ name: 'warm-up' });
    expect(phaseAt(phases, 15_000)).toMatchObject({ name: 'spike', rate: 40 });
    expect(phaseAt(phases, 74_999)).toMatchObject({ name: 'spike' });
    expect(phaseAt(phases, 75_000)).toMatchObject({ name: 'recovery', rate: 5 });
    expect(phaseAt(phases, 10_000_000)).toMatchObject({ name: 'recovery' });
  });

  it('errors raises the /error share and injects faults; latency leans on the slow routes', () => {
    const [errors] = scenarioPhases('errors', settings);
    expect(errors?.weights.error).toBeGreaterThan(STEADY_WEIGHTS.error * 5);
    expect(errors?.faultShare).toBeGreaterThan(0);
    const [latency] = scenarioPhases('latency', settings);
    const slow = (latency?.weights.ep_three ?? 0) + (latency?.weights.ep_four ?? 0);
    expect(slow).toBeGreaterThanOrEqual(50);
  });

  it('budget-burn fails about 3% of the working routes: over the 99.9% SLO page, under HighErrorRatio', () => {
    const [burn] = scenarioPhases('budget-burn', settings);
    expect(burn?.weights).toEqual(STEADY_WEIGHTS);
    const working = Object.entries(STEADY_WEIGHTS).filter(([route]) => route !== 'error');
    const total = working.reduce((sum, [, weight]) => sum + weight, 0);
    const faulted = working.filter(([route]) => route.startsWith('ep_')).reduce((sum, [, w]) => sum + w, 0);
    const failing = ((burn?.faultShare ?? 0) * faulted) / total;
    // The SLO's budget is 0.1%: a page at 14.4 times its pace, HighErrorRatio at 5%.
    expect(failing / 0.001).toBeGreaterThan(14.4 * 1.5);
    expect(failing).toBeLessThan(0.05 * 0.7);
  });

  it('cpu sends mostly reports, about 0.9 of a core at 200 ms each; leak opens a session a second', () => {
    const share = (weights: Record<string, number>, route: string) =>
      (weights[route] ?? 0) / Object.values(weights).reduce((sum, weight) => sum + weight, 0);
    const [cpu] = scenarioPhases('cpu', settings);
    const cores = share(cpu?.weights ?? {}, 'report') * settings.rate * 0.2;
    expect(cores).toBeGreaterThan(0.8);
    expect(cores).toBeLessThan(1);
    const [leak] = scenarioPhases('leak', settings);
    expect(share(leak?.weights ?? {}, 'session') * settings.rate).toBeCloseTo(1, 5);
    expect(planRequest('report', 0.5, Math.random)).toEqual({
      route: 'report',
      method: 'GET',
      path: '/report',
      expectFailure: false,
    });
    expect(planRequest('session', 0.5, Math.random)).toMatchObject({ method: 'POST', path: '/sessions' });
  });

  it('custom weights replace the scenario weights', () => {
    const weights = { ...STEADY_WEIGHTS, ep_one: 1000 };
    expect(scenarioPhases('steady', { ...settings, weights })[0]?.weights.ep_one).toBe(1000);
  });
});
