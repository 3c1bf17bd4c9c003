import { PrometheusError } from '@fos/service-kit';
import { describe, expect, it } from 'vitest';
import { type HealthFigures, healthReport, unavailableReport } from '../src/health-report.ts';
import { thresholdsFrom } from '../src/settings.ts';

const AT = new Date('2026-11-22T10:00:00Z');
const context = { job: 'webapp', grafanaUrl: '' };
const defaults = thresholdsFrom([]);

function figures(overrides: Partial<HealthFigures> = {}): HealthFigures {
  return {
    at: AT,
    p95Seconds: 0.2124,
    requestRate: 5.04,
    errorRatio: 0.01,
    cpuCores: [
      { instance: 'a:3000', cores: 0.031 },
      { instance: 'b:3000', cores: 0.045 },
    ],
    up: [
      { instance: 'a:3000', up: true },
      { instance: 'b:3000', up: true },
    ],
    budgetLeft: [],
    slowestRoute: undefined,
    profiles: [],
    ...overrides,
  };
}

describe('healthReport', () => {
  it('names the slowest route and links its slowest trace, or says why it cannot', () => {
    const slowestRoute = { route: '/ep_four', p95Seconds: 0.9124 };
    const link = 'https://grafana.example.com/explore?panes=x';
    const lines = (slowestTrace: HealthFigures['slowestTrace']) =>
      healthReport(figures({ slowestRoute, slowestTrace }), defaults, context).message.split('\n');
    const traced = lines({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', durationMs: 1180.4, link });
    expect(traced).toContain('slowest route (p95, 1m): /ep_four 912 ms');
    expect(traced).toContain(`slowest trace of /ep_four (5m): 1180 ms, ${link}`);
    expect(lines('none')).toContain('slowest trace of /ep_four (5m): none kept');
    expect(lines({ unavailable: 'Jaeger at http://j did not answer: ECONNREFUSED' })).toContain(
      'slowest trace of /ep_four (5m): Jaeger at http://j did not answer: ECONNREFUSED',
    );
    // No Jaeger set: the route alone.
    expect(lines(undefined).some((line) => line.startsWith('slowest trace'))).toBe(false);
    // No requests: neither.
    expect(healthReport(figures(), defaults, context).message).not.toContain('slowest');
  });

  it('names the functions of the profile taken for an active CPU or heap alert', () => {
    const report = healthReport(
      figures({
        profiles: [
          {
            instance: 'a:3000',
            type: 'cpu',
            functions: [
              { name: 'checksum', location: 'dist/routes/runtime.js:35', ratio: 0.9663 },
              { name: '(garbage collector)', location: '', ratio: 0.012 },
            ],
          },
        ],
      }),
      defaults,
      context,
    );
    expect(report.message.split('\n')).toContain(
      'cpu profile of a:3000: 96.63% checksum (dist/routes/runtime.js:35); 1.20% (garbage collector)',
    );
  });

  it('is a success listing every figure when nothing crosses a threshold', () => {
    const report = healthReport(figures(), defaults, {
      job: 'webapp',
      grafanaUrl: 'https://grafana.example.com',
    });
    expect(report.status).toBe('success');
    expect(report.message).toBe(
      [
        'webapp health: OK (2026-11-22 10:00:00 UTC)',
        'p95 latency (5m): 212 ms, threshold 500 ms',
        'request rate (1m): 5.0 req/s',
        'error ratio (1m): 1.00%, threshold 5%',
        'CPU (1m, % of a core): a:3000 3.1%, b:3000 4.5%, threshold 80%',
        'instances up: 2 of 2',
        'dashboard: https://grafana.example.com/d/fos-service/service-overview?var-service=webapp',
      ].join('\n'),
    );
  });

  it("gives each SLO's error budget left and links the SLO dashboard, leaving the judging to the burn-rate alerts", () => {
    const withSlos = figures({
      budgetLeft: [
        { slo: 'requests-availability', left: 0.9234 },
        { slo: 'requests-latency', left: 1 },
      ],
    });
    const report = healthReport(withSlos, defaults, { job: 'webapp', grafanaUrl: 'https://g.example' });
    expect(report.status).toBe('success');
    const lines = report.message.split('\n');
    expect(lines).toContain(
      'error budget left (30 days): requests-availability 92.3%, requests-latency 100.0%',
    );
    expect(lines.at(-1)).toBe(
      'SLOs: https://g.example/d/fos-slo/service-level-objectives?var-service=webapp',
    );
    const spent = healthReport(
      figures({ budgetLeft: [{ slo: 'requests-availability', left: -0.25 }] }),
      defaults,
      context,
    );
    expect(spent.status).toBe('success');
    expect(spent.message).toContain('error budget left (30 days): requests-availability -25.0%');
    // Without a spec there is no SLO line at all, and no SLO link.
    expect(
      healthReport(figures(), defaults, { job: 'webapp', grafanaUrl: 'https://g.example' }).message,
    ).not.toMatch(/budget|fos-slo/);
  });

  it.each([
    [{ p95Seconds: 0.6125 }, 'warning', 'p95 latency 613 ms is over the 500 ms threshold by 113 ms'],
    [{ errorRatio: 0.075 }, 'error', 'error ratio 7.50% is over the 5% threshold by 2.50 points'],
    [
      { cpuCores: [{ instance: 'a:3000', cores: 0.923 }] },
      'warning',
      'CPU of a:3000 is 92.3% of a core, over the 80% threshold by 12.3 points',
    ],
    [
      {
        up: [
          { instance: 'a:3000', up: true },
          { instance: 'b:3000', up: false },
        ],
      },
      'error',
      'instance b:3000 is down: Prometheus cannot scrape it, or it stopped pushing',
    ],
    // A pushed service has no target: its instance label may be absent.
    [{ up: [{ instance: '', up: false }] }, 'error', 'webapp stopped pushing its metrics'],
    [
      { up: [] },
      'error',
      'no webapp instance is discovered: Prometheus has no target for job "webapp", and it pushes nothing',
    ],
  ])(
    'names what crossed and by how much, at the severity of its alert: %o is %s',
    (overrides, status, problem) => {
      const report = healthReport(figures(overrides), defaults, context);
      expect(report.status).toBe(status);
      expect(report.message.split('\n')).toEqual(
        expect.arrayContaining(['webapp health: 1 problem (2026-11-22 10:00:00 UTC)', `- ${problem}`]),
      );
    },
  );

  it('is an error when a warning and an error cross together', () => {
    const report = healthReport(figures({ p95Seconds: 0.9, errorRatio: 0.2 }), defaults, context);
    expect(report.status).toBe('error');
    expect(report.message).toContain('webapp health: 2 problems');
  });

  it('uses the thresholds of the tick, equal is not over', () => {
    const thresholds = thresholdsFrom([
      { label: 'p95 latency threshold (ms)', default: '100' },
      { label: 'error ratio threshold (%)', default: 1 },
      { label: 'CPU threshold (% of a core)', default: 4 },
    ]);
    const report = healthReport(figures(), thresholds, context);
    expect(report.message).toContain('- p95 latency 212 ms is over the 100 ms threshold by 112 ms');
    expect(report.message).toContain('- CPU of b:3000 is 4.5% of a core');
    expect(report.message).not.toContain('CPU of a:3000');
    expect(report.message).not.toContain('- error ratio');
    expect(report.message).toContain('webapp health: 2 problems');
  });

  it('says when there were no requests instead of inventing a latency', () => {
    const report = healthReport(figures({ p95Seconds: undefined, errorRatio: undefined }), defaults, context);
    expect(report.status).toBe('success');
    expect(report.message).toContain('p95 latency (5m): no requests, threshold 500 ms');
    expect(report.message).toContain('error ratio (1m): no requests');
  });

  it('shows an instance without a CPU figure as no data', () => {
    const report = healthReport(
      figures({ cpuCores: [{ instance: 'a:3000', cores: 0.01 }] }),
      defaults,
      context,
    );
    expect(report.message).toContain('CPU (1m, % of a core): a:3000 1.0%, b:3000 no data');
  });
});

describe('unavailableReport', () => {
  it('is an error that says what failed', () => {
    const report = unavailableReport(
      new PrometheusError('Prometheus at http://p:9090 did not answer: timed out'),
      AT,
      'webapp',
    );
    expect(report.status).toBe('error');
    expect(report.message).toContain('webapp health: unknown (2026-11-22 10:00:00 UTC)');
    expect(report.message).toContain('- Prometheus at http://p:9090 did not answer: timed out');
  });
});
