// The evidence links of an alert, as its email and chat message carry them (alertmanager/templates/
// email.tmpl, fos.traces.url and fos.logs.url): the same URLs, to the character, so that an answer
// in Telex opens what the email opens. test/integration/alertmanager.test.ts proves them equal.

/** Where the links open: Grafana where it runs, else the backends as the channel reaches them. */
export interface EvidenceTargets {
  /** Grafana's Explore; empty: no Grafana. */
  grafanaUrl: string;
  /** Jaeger's UI (its search page); empty: none. */
  jaegerPublicUrl: string;
  /** Jaeger's query API, where there is no UI (the Jaeger make up-local builds); empty: none. */
  jaegerUrl: string;
  /** VictoriaLogs' query API; empty: none. */
  victoriaLogsUrl: string;
  /** The profile collector, where an alert's profile opens; empty: none. */
  profilesUrl: string;
}

export interface EvidenceAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When it fired (RFC 3339), as Alertmanager keeps it. */
  startsAt: string;
}

export interface Evidence {
  /** "Failed traces" or "Traces over 500ms", as the email names the link. */
  title: string;
  traces?: string;
  logs?: string;
}

/** Go's url.QueryEscape, which the templates' urlquery is: only A-Z a-z 0-9 - _ . ~ are kept, space is +. */
export function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Go's %q of a plain string: JSON's quoting for the text the rules give. */
const quote = (text: string) => JSON.stringify(text);

/**
 * The traces and logs links of an alert whose rule names its evidence (slow_traces_over, or
 * failed_status_code with failed_route), or undefined for an alert that has none.
 */
export function evidenceLinks(alert: EvidenceAlert, targets: EvidenceTargets): Evidence | undefined {
  const { labels, annotations } = alert;
  const slowerThan = annotations.slow_traces_over ?? '';
  const status = annotations.failed_status_code ?? '';
  if (!slowerThan && !status) return undefined;
  const job = labels.job ?? '';
  const firedS = Math.floor(Date.parse(alert.startsAt) / 1000);
  const [start, end] = [firedS - 900, firedS + 900];
  const route = annotations.failed_route ?? '';
  let logfmt = '';
  let json = '';
  if (status) {
    logfmt = `http.response.status_code=${status}`;
    json = `${quote('http.response.status_code')}:${quote(status)}`;
  }
  if (route) {
    logfmt = `${logfmt} http.route=${quote(route)}`;
    json = `${json},${quote('http.route')}:${quote(route)}`;
  }
  const logsQuery = job ? `"service.name":=${quote(job)} severity_text:in(warn, error)` : '';
  const evidence: Evidence = { title: status ? 'Failed traces' : `Traces over ${slowerThan}` };
  if (targets.grafanaUrl) {
    const explore = (pane: string) =>
      `${targets.grafanaUrl}/explore?schemaVersion=1&orgId=1&panes=${queryEscape(pane)}`;
    evidence.traces = explore(
      `{"t":{"datasource":"jaeger","queries":[{"refId":"A","datasource":{"type":"jaeger","uid":"jaeger"},"queryType":"search","service":${quote(job)},"minDuration":${quote(slowerThan)},"tags":${quote(logfmt)},"limit":20}],"range":{"from":"${start}000","to":"${end}000"}}}`,
    );
    evidence.logs = explore(
      `{"l":{"datasource":"victorialogs","queries":[{"refId":"A","datasource":{"type":"victoriametrics-logs-datasource","uid":"victorialogs"},"queryType":"instant","expr":${quote(logsQuery)}}],"range":{"from":"${start}000","to":"${end}000"}}}`,
    );
    return evidence;
  }
  const search = [
    `service=${queryEscape(job)}&limit=20&start=${start}000000&end=${end}000000`,
    targets.jaegerPublicUrl ? '&lookback=custom' : '',
    slowerThan ? `&minDuration=${queryEscape(slowerThan)}` : '',
    json ? `&tags=${queryEscape(`{${json}}`)}` : '',
  ].join('');
  if (targets.jaegerPublicUrl) evidence.traces = `${targets.jaegerPublicUrl}/search?${search}`;
  else if (targets.jaegerUrl) evidence.traces = `${targets.jaegerUrl}/api/traces?${search}`;
  if (targets.victoriaLogsUrl) {
    evidence.logs = `${targets.victoriaLogsUrl}/select/logsql/query?query=${queryEscape(logsQuery)}&start=${start}&end=${end}&limit=100`;
  }
  return evidence;
}

/** An alert's profile as its email gives it (email.tmpl, fos.profile.*): the top functions and links, or why there is none. */
export interface ProfileEvidence {
  /** "CPU, top functions by self time" or the heap's. */
  title: string;
  /** One per line as the rule publishes them: "96.63% checksum (dist/routes/runtime.js:35)". */
  functions: string[];
  view?: string;
  pprof?: string;
  /** Why there is none: the collector's one line, or that none was taken in time. */
  problem?: string;
}

/** The profile of an alert whose rule names one (annotation profile_type), or undefined. */
export function profileEvidence(alert: EvidenceAlert, profilesUrl: string): ProfileEvidence | undefined {
  const { annotations } = alert;
  const type = annotations.profile_type;
  if (!type) return undefined;
  const title =
    type === 'cpu'
      ? 'CPU, top functions by self time'
      : 'heap, top functions by the live memory they allocated';
  if (!annotations.profile_id) {
    return {
      title,
      functions: [],
      problem:
        annotations.profile_problem ||
        'none taken before the alert fired (the profile collector takes one while an alert is pending; is it running?)',
    };
  }
  const base = `${profilesUrl}/profiles/${annotations.profile_id}`;
  return {
    title,
    functions: (annotations.profile_top ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    ...(profilesUrl ? { view: `${base}/view`, pprof: `${base}/profile.pb.gz` } : {}),
  };
}
