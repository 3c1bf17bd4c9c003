import { describe, expect, it } from 'vitest';
import { firingAnswer, markdown, plain, styleFor } from '../src/agent/answers.ts';
import type { AlertmanagerAlert } from '../src/alertmanager.ts';

const NOW = new Date('2026-12-02T10:00:00Z');
const backends = {
  jaegerPublicUrl: 'http://127.0.0.1:16686',
  jaegerUrl: 'http://jaeger:16686',
  victoriaLogsUrl: 'http://127.0.0.1:9428',
  profilesUrl: 'http://127.0.0.1:3200',
};
const links = {
  grafanaUrl: 'https://grafana.example.com',
  alertmanagerUrl: 'https://alerts.example.com',
  ...backends,
};

function alert(
  alertname: string,
  labels: Record<string, string>,
  startsAt: string,
  state: AlertmanagerAlert['status']['state'] = 'active',
): AlertmanagerAlert {
  return {
    labels: { alertname, ...labels },
    annotations: {
      summary: `${alertname} summary`,
      runbook_url: `/d/fos-runbooks/alert-runbooks?viewPanel=1`,
    },
    startsAt,
    generatorURL: 'https://prometheus.example.com/graph?g0.expr=x',
    fingerprint: alertname,
    status: { state, silencedBy: [], inhibitedBy: [] },
  };
}

const watchdog = alert('Watchdog', { severity: 'none' }, '2026-12-01T00:00:00Z');

describe('firingAnswer', () => {
  it('lists critical before warning, the oldest first, with runbook, dashboard and query links', () => {
    const text = firingAnswer(
      [
        watchdog,
        alert('HighCPU', { severity: 'warning', job: 'webapp', instance: 'a:3000' }, '2026-12-02T09:50:00Z'),
        alert('HighErrorRatio', { severity: 'critical', job: 'webapp' }, '2026-12-02T09:59:35Z'),
        alert(
          'InstanceDown',
          { severity: 'critical', job: 'webapp', instance: 'b:3000' },
          '2026-12-02T09:30:00Z',
        ),
        alert('HighLatencyP95', { severity: 'warning', job: 'webapp' }, '2026-12-02T09:59:00Z', 'suppressed'),
        alert(
          'ErrorBudgetBurn',
          { severity: 'critical', sloth_service: 'webapp', job: 'webapp' },
          '2026-12-02T09:59:00Z',
        ),
      ],
      links,
      NOW,
      markdown,
    );
    const headlines = text.split('\n').filter((line) => line.startsWith('- '));
    expect(headlines.map((line) => /\*\*(\w+)\*\*/.exec(line)?.[1])).toEqual([
      'InstanceDown',
      'ErrorBudgetBurn',
      'HighErrorRatio',
      'HighCPU',
    ]);
    expect(text.split('\n')[0]).toBe('**4 alerts firing:**');
    expect(headlines[0]).toBe(
      '- **InstanceDown** (critical) on webapp b:3000, for 30m: InstanceDown summary',
    );
    expect(text).toContain(
      '  [runbook](https://grafana.example.com/d/fos-runbooks/alert-runbooks?viewPanel=1) · [dashboard](https://grafana.example.com/d/fos-service/service-overview?var-service=webapp) · [query](https://prometheus.example.com/graph?g0.expr=x)',
    );
    // An SLO alert links to the SLO dashboard, as its email does.
    expect(text).toContain(
      '[dashboard](https://grafana.example.com/d/fos-slo/service-level-objectives?var-service=webapp)',
    );
    expect(text).toContain(
      '1 more is silenced or inhibited: [silences](https://alerts.example.com/#/silences)',
    );
    expect(text).not.toContain('Watchdog');
    expect(text.split('\n').at(-1)).toBe('[Alertmanager](https://alerts.example.com/#/alerts)');
  });

  it('says nothing fires, and warns when the heartbeat is missing', () => {
    expect(firingAnswer([watchdog], links, NOW, markdown)).toBe('**Nothing is firing.**');
    expect(firingAnswer([], links, NOW, plain)).toBe(
      'Nothing is firing.\nNo Watchdog heartbeat reaches Alertmanager: alerting itself may be broken (runbook: docs/runbooks.md, section Watchdog).',
    );
  });

  it('writes links out in plain text, and names the runbook section without a Grafana', () => {
    const text = firingAnswer(
      [
        watchdog,
        alert(
          'InstanceDown',
          { severity: 'critical', job: 'webapp', instance: 'b:3000' },
          '2026-12-02T09:59:00Z',
        ),
      ],
      { grafanaUrl: '', alertmanagerUrl: 'http://127.0.0.1:9093', ...backends },
      NOW,
      plain,
    );
    expect(text).toBe(
      [
        '1 alert firing:',
        '- InstanceDown (critical) on webapp b:3000, for 1m: InstanceDown summary',
        '  runbook: docs/runbooks.md, section InstanceDown · query: https://prometheus.example.com/graph?g0.expr=x',
        'Alertmanager: http://127.0.0.1:9093/#/alerts',
      ].join('\n'),
    );
  });
});

describe('firingAnswer, evidence', () => {
  const failing: AlertmanagerAlert = {
    ...alert('HighErrorRatio', { severity: 'critical', job: 'webapp' }, '2026-12-02T09:59:00Z'),
    annotations: { summary: 'fails', failed_status_code: '503', failed_route: '/ep_two' },
  };

  it("links an alert's failed traces and its service's lines, in Grafana where it runs", () => {
    const text = firingAnswer([watchdog, failing], links, NOW, plain);
    const traces = new URL(/failed traces: (\S+)/.exec(text)?.[1] ?? 'http://missing');
    expect(`${traces.origin}${traces.pathname}`).toBe('https://grafana.example.com/explore');
    expect(JSON.parse(traces.searchParams.get('panes') ?? '').t.queries[0]).toMatchObject({
      service: 'webapp',
      tags: 'http.response.status_code=503 http.route="/ep_two"',
    });
    expect(text).toMatch(/ · logs: https:\/\/grafana\.example\.com\/explore\?/);
  });

  it("links them to Jaeger's search page and VictoriaLogs without Grafana, or not at all where neither is set", () => {
    const text = firingAnswer([watchdog, failing], { ...links, grafanaUrl: '' }, NOW, plain);
    const fired = Date.parse('2026-12-02T09:59:00Z') / 1000;
    expect(text).toContain(
      `failed traces: http://127.0.0.1:16686/search?service=webapp&limit=20&start=${fired - 900}000000&end=${fired + 900}000000&lookback=custom&tags=%7B%22http.response.status_code%22%3A%22503%22%2C%22http.route%22%3A%22%2Fep_two%22%7D`,
    );
    expect(text).toContain(`logs: http://127.0.0.1:9428/select/logsql/query?query=`);
    const bare = firingAnswer(
      [watchdog, failing],
      {
        grafanaUrl: '',
        jaegerPublicUrl: '',
        jaegerUrl: '',
        victoriaLogsUrl: '',
        profilesUrl: '',
        alertmanagerUrl: 'http://a',
      },
      NOW,
      plain,
    );
    expect(bare).not.toMatch(/traces:|logs:/);
  });
});

describe('firingAnswer: the profile of the moment', () => {
  const eventLoop = (profile: Record<string, string>) => {
    const blocked = alert(
      'EventLoopBlocked',
      { severity: 'warning', job: 'webapp', instance: 'a:3000' },
      '2026-12-02T09:59:00Z',
    );
    blocked.annotations = {
      ...blocked.annotations,
      profile_type: 'cpu',
      profile_top: '',
      profile_id: '',
      profile_problem: '',
      ...profile,
    };
    return blocked;
  };

  it('names the top functions and links the flame graph and pprof, as the email does', () => {
    const text = firingAnswer(
      [
        watchdog,
        eventLoop({
          profile_top: '96.63% checksum (dist/routes/runtime.js:35)\n0.29% writeString\n',
          profile_id: '20261208T010000Z-cpu-0123abcd',
        }),
      ],
      links,
      NOW,
      markdown,
    );
    expect(text).toContain(
      '  profile (CPU, top functions by self time): 96.63% checksum (dist/routes/runtime.js:35); 0.29% writeString · [flame graph](http://127.0.0.1:3200/profiles/20261208T010000Z-cpu-0123abcd/view) · [pprof](http://127.0.0.1:3200/profiles/20261208T010000Z-cpu-0123abcd/profile.pb.gz)',
    );
  });

  it('says why there is no profile, in one line', () => {
    expect(
      firingAnswer(
        [watchdog, eventLoop({ profile_problem: 'a:3000 did not answer: ECONNREFUSED' })],
        links,
        NOW,
        plain,
      ),
    ).toContain('  profile: no profile: a:3000 did not answer: ECONNREFUSED');
    expect(firingAnswer([watchdog, eventLoop({})], links, NOW, plain)).toContain(
      '  profile: no profile: none taken before the alert fired (the profile collector takes one while an alert is pending; is it running?)',
    );
  });
});

describe('styleFor', () => {
  it('writes Markdown unless the caller accepts only other modes', () => {
    expect(styleFor(undefined)).toBe(markdown);
    expect(styleFor([])).toBe(markdown);
    expect(styleFor(['text/markdown', 'text/plain'])).toBe(markdown);
    expect(styleFor(['text/plain', 'image/png'])).toBe(plain);
  });
});
