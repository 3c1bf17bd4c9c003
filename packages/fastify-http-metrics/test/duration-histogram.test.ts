import { seededRandom } from '@fos/request-generator/random';
import { parseExposition, seriesKey } from '@fos/stack/prom-text';
import { Histogram, Registry } from '@prometheus-io/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DurationHistogram, HTTP_DURATION_BUCKETS } from '../src/index.ts';

const labelNames = ['method', 'route', 'status_code'] as const;
type Labels = Record<(typeof labelNames)[number], string>;

function registries() {
  const oracle = new Registry();
  const ours = new Registry();
  for (const registry of [oracle, ours])
    registry.setDefaultLabels({ service: 'webapp', environment: 'test' });
  const options = {
    name: 'http_request_duration_seconds',
    help: 'Request duration',
    buckets: [...HTTP_DURATION_BUCKETS],
  };
  const reference = new Histogram({ ...options, labelNames, registers: [oracle] });
  const lean = new DurationHistogram({ ...options, labelNames, registers: [ours] });
  return { oracle, ours, reference, lean };
}

/** Sample key -> value, so the comparison does not depend on label order within a line. */
async function samplesOf(registry: Registry): Promise<Map<string, number>> {
  const exposition = parseExposition(await registry.metrics());
  return new Map(exposition.samples.map((s) => [`${s.name}${seriesKey(s)}`, s.value]));
}

afterEach(() => vi.restoreAllMocks());

describe('DurationHistogram', () => {
  it('exposes exactly what the client library Histogram exposes for the same observations', async () => {
    const { oracle, ours, reference, lean } = registries();
    const random = seededRandom(7);
    const labelSets: Labels[] = [
      { method: 'GET', route: '/ep_one', status_code: '200' },
      { method: 'POST', route: '/counter/increment', status_code: '200' },
      { method: 'GET', route: '/error', status_code: '500' },
      { method: 'GET', route: 'a "quoted"\\ route\nwith a newline', status_code: '404' },
    ];
    // Every boundary exactly (le is inclusive), zero, values past the last bound, and a random spread.
    const values = [0, ...HTTP_DURATION_BUCKETS, 5.000001, 60, 1e-9];
    for (let i = 0; i < 2000; i++) values.push(-Math.log(1 - random()) * 0.2);
    values.forEach((value, i) => {
      const labels = labelSets[i % labelSets.length] as Labels;
      reference.observe(labels, value);
      lean.series(labels).observe(value);
    });

    const expected = await samplesOf(oracle);
    const actual = await samplesOf(ours);
    expect(actual.size).toBe(labelSets.length * (HTTP_DURATION_BUCKETS.length + 3));
    expect(actual).toEqual(expected);
    // The JSON form (get(), as the registry's getMetricsAsJSON serves it) agrees too.
    const json = async (registry: Registry) =>
      (await registry.getMetricsAsJSON())
        .flatMap((metric) => metric.values as { metricName?: string; labels: object; value: number }[])
        .map((v) => JSON.stringify([v.metricName, Object.entries(v.labels).sort(), v.value]))
        .sort();
    expect(await json(ours)).toEqual(await json(oracle));
    const text = await ours.metrics();
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('# HELP http_request_duration_seconds Request duration');
  });

  it('keeps the exemplars the client library keeps, and serves them as it does in OpenMetrics', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_796_000_000_123);
    const oracle = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    const ours = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const registry of [oracle, ours]) registry.setDefaultLabels({ service: 'webapp' });
    const options = {
      name: 'http_request_duration_seconds',
      help: 'Request duration',
      buckets: [0.1, 0.5, 1],
    };
    const reference = new Histogram({ ...options, labelNames, registers: [oracle], enableExemplars: true });
    const lean = new DurationHistogram({ ...options, labelNames, registers: [ours] });
    const labels: Labels = { method: 'GET', route: '/ep_three', status_code: '200' };
    // Several per bucket (the last one stays), one past every bound (+Inf), and some without any.
    [0.05, 0.08, 0.3, 0.7, 0.42, 2.5, 0.09].forEach((value, i) => {
      const exemplarLabels =
        i === 6 ? undefined : { trace_id: `${i}`.repeat(32), span_id: `${i}`.repeat(16) };
      // The client's types take exemplar labels from the metric's own label names; its code takes any.
      const exemplar = exemplarLabels as unknown as Labels | undefined;
      reference.observe({ labels, value, ...(exemplar ? { exemplarLabels: exemplar } : {}) });
      lean.series(labels).observe(value, exemplarLabels);
    });
    const exemplars = async (registry: Registry) =>
      new Map(parseExposition(await registry.metrics()).samples.map((s) => [seriesKey(s), s.exemplar]));
    const expected = await exemplars(oracle);
    expect([...expected.values()].filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(await exemplars(ours)).toEqual(expected);
    expect(await ours.metrics()).toMatch(/\n# EOF\n$/);
  });

  it('returns the same series for the same labels, so callers can keep it', () => {
    const { lean } = registries();
    const labels = { method: 'GET', route: '/x', status_code: '200' };
    expect(lean.series(labels)).toBe(lean.series({ ...labels }));
    expect(lean.series(labels)).not.toBe(lean.series({ ...labels, status_code: '500' }));
  });

  it('rejects missing or unknown labels, bad buckets and non-finite values, naming the problem', () => {
    const { lean } = registries();
    expect(() => lean.series({ method: 'GET', route: '/x' } as Labels)).toThrow(
      /labels must be exactly method, route, status_code; got method, route/,
    );
    expect(() =>
      lean.series({ method: 'GET', route: '/x', status_code: '200', extra: 'y' } as Labels),
    ).toThrow(/got method, route, status_code, extra/);
    expect(() => lean.series({ method: 'GET', route: '/x', status_code: '200' }).observe(Number.NaN)).toThrow(
      /not a finite number: NaN/,
    );
    const registers = [new Registry()];
    expect(
      () => new DurationHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [0.1, 0.1], registers }),
    ).toThrow(/strictly increasing/);
    expect(
      () => new DurationHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1], registers }),
    ).toThrow(/reserved/);
  });

  it('resets every series to zero in place, and a kept series goes on counting', async () => {
    const { ours, lean } = registries();
    const series = lean.series({ method: 'GET', route: '/x', status_code: '200' });
    series.observe(0.3);
    ours.resetMetrics();
    series.observe(0.02);
    const samples = await samplesOf(ours);
    const count = [...samples].find(([key]) => key.startsWith('http_request_duration_seconds_count'));
    const sum = [...samples].find(([key]) => key.startsWith('http_request_duration_seconds_sum'));
    expect(count?.[1]).toBe(1);
    expect(sum?.[1]).toBe(0.02);
  });
});
