import { describeFetchError, type PrometheusClient, PrometheusError, type Sample } from '@fos/service-kit';
import type { TelexStatus } from './delivery.ts';
import type { Thresholds } from './settings.ts';

/**
 * The recording rules a report reads (prometheus/rules/recording.yml), for one service: its job,
 * scraped or pushing by OTLP.
 */
export function healthQueries(job: string) {
  return {
    p95Seconds: `job:http_request_duration_seconds:p95_rate5m{job="${job}"}`,
    requestRate: `job:http_requests:rate1m{job="${job}"}`,
    errorRatio: `job:http_request_failures_per_requests:ratio_rate1m{job="${job}"}`,
    cpuCores: `instance:process_cpu_seconds:rate1m{job="${job}"}`,
    // A pushed service has no `up`: each of its instances is up while it pushed in the last 20 s
    // (MetricsPushStopped's threshold), and down for the 5-minute lookback after.
    up: `up{job="${job}"} or on (job) (time() - timestamp(target_info{job="${job}"}) < bool 20)`,
    // The service's SLOs, where it has a spec in prometheus/slos (Sloth's rules, rules/slo-*.yml).
    budgetLeft: `slo:period_error_budget_remaining:ratio{job="${job}"}`,
    // The route with the highest p95 over the last minute (> 0 leaves out the routes with no requests: NaN).
    slowestRoute: `topk(1, histogram_quantile(0.95, sum by (route, le) (instance_route_le:http_request_duration_seconds_bucket:rate1m{job="${job}"})) > 0)`,
    // The profile collector's top functions of each instance a CPU or heap alert is active about.
    profileTop: `profile_top_function_ratio{job="${job}"}`,
  } as const;
}

export interface HealthFigures {
  /** The moment every query was evaluated at, in whole seconds. */
  at: Date;
  /** undefined: no series, or NaN (no requests in the window). */
  p95Seconds: number | undefined;
  requestRate: number | undefined;
  errorRatio: number | undefined;
  cpuCores: { instance: string; cores: number }[];
  up: { instance: string; up: boolean }[];
  /**
   * What is left of each SLO's 30-day error budget (1 = all, below 0 overspent); none without a spec.
   * Reported, not judged: the burn-rate alerts judge it, and a young stack's few minutes of data make
   * it swing (Sloth's 30 days are all the data there is).
   */
  budgetLeft: { slo: string; left: number }[];
  /** The route with the highest p95 over the last minute; undefined with no requests. */
  slowestRoute: { route: string; p95Seconds: number } | undefined;
  /**
   * That route's slowest trace kept over the last 5 minutes, with where to open it; `none` when
   * Jaeger holds none, a reason when it could not be asked; undefined where no Jaeger is set.
   */
  slowestTrace?: { traceId: string; durationMs: number; link: string } | 'none' | { unavailable: string };
  /** The top functions of the profiles taken for the alerts active now, by instance and type, largest first. */
  profiles: {
    instance: string;
    type: string;
    functions: { name: string; location: string; ratio: number }[];
  }[];
}

/** Every figure is rounded the same way in reports and in the tests that check them. */
export const format = {
  latency: (seconds: number) => `${Math.round(seconds * 1000)} ms`,
  rate: (perSecond: number) => `${perSecond.toFixed(1)} req/s`,
  ratio: (ratio: number) => `${(ratio * 100).toFixed(2)}%`,
  budget: (left: number) => `${(left * 100).toFixed(1)}%`,
  cpu: (cores: number) => `${(cores * 100).toFixed(1)}%`,
  time: (at: Date) => `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
};

const single = (samples: Sample[]): number | undefined => {
  const value = samples[0]?.value;
  return value === undefined || Number.isNaN(value) ? undefined : value;
};
const byInstance = (a: { instance: string }, b: { instance: string }) => a.instance.localeCompare(b.instance);

/** Runs every query at one moment, so the figures of a report belong together. */
export async function readFigures(
  prometheus: PrometheusClient,
  job: string,
  at: Date,
): Promise<HealthFigures> {
  const queries = healthQueries(job);
  const [p95, rate, errors, cpu, up, budget, slowest, profileTop] = await Promise.all([
    prometheus.query(queries.p95Seconds, at),
    prometheus.query(queries.requestRate, at),
    prometheus.query(queries.errorRatio, at),
    prometheus.query(queries.cpuCores, at),
    prometheus.query(queries.up, at),
    prometheus.query(queries.budgetLeft, at),
    prometheus.query(queries.slowestRoute, at),
    prometheus.query(queries.profileTop, at),
  ]);
  const slowestRoute = slowest[0];
  return {
    at,
    p95Seconds: single(p95),
    requestRate: single(rate),
    errorRatio: single(errors),
    cpuCores: cpu
      .map((s) => ({ instance: s.labels.instance ?? '', cores: s.value }))
      .filter((s) => !Number.isNaN(s.cores))
      .sort(byInstance),
    up: up.map((s) => ({ instance: s.labels.instance ?? '', up: s.value === 1 })).sort(byInstance),
    budgetLeft: budget
      .map((s) => ({ slo: s.labels.sloth_slo ?? '', left: s.value }))
      .filter((s) => !Number.isNaN(s.left))
      .sort((a, b) => a.slo.localeCompare(b.slo)),
    slowestRoute:
      slowestRoute && !Number.isNaN(slowestRoute.value)
        ? { route: slowestRoute.labels.route ?? '', p95Seconds: slowestRoute.value }
        : undefined,
    profiles: profilesOf(profileTop),
  };
}

function profilesOf(samples: Sample[]): HealthFigures['profiles'] {
  const profiles = new Map<string, HealthFigures['profiles'][number]>();
  for (const { labels, value } of samples) {
    const key = `${labels.instance ?? ''} ${labels.profile_type ?? ''}`;
    const profile = profiles.get(key) ?? {
      instance: labels.instance ?? '',
      type: labels.profile_type ?? '',
      functions: [],
    };
    profile.functions.push({ name: labels.function ?? '', location: labels.location ?? '', ratio: value });
    profiles.set(key, profile);
  }
  for (const profile of profiles.values()) profile.functions.sort((a, b) => b.ratio - a.ratio);
  return [...profiles.values()].sort((a, b) =>
    `${a.instance} ${a.type}`.localeCompare(`${b.instance} ${b.type}`),
  );
}

/**
 * One thing wrong, at the severity of the alert that watches the same figure: a down instance and
 * failing requests are critical (InstanceDown, HighErrorRatio), slow requests and a busy CPU degrade
 * the service without breaking it (warnings, as HighLatencyP95's first level and HighCPU are).
 */
export interface Problem {
  severity: 'error' | 'warning';
  text: string;
}

/** What is wrong, one line each: thresholds crossed (and by how much) and instances down. */
export function problems(figures: HealthFigures, thresholds: Thresholds, job: string): Problem[] {
  const found: Problem[] = [];
  const error = (text: string) => found.push({ severity: 'error', text });
  const warning = (text: string) => found.push({ severity: 'warning', text });
  if (figures.up.length === 0)
    error(
      `no ${job} instance is discovered: Prometheus has no target for job "${job}", and it pushes nothing`,
    );
  for (const target of figures.up.filter((t) => !t.up)) {
    error(
      target.instance
        ? `instance ${target.instance} is down: Prometheus cannot scrape it, or it stopped pushing`
        : `${job} stopped pushing its metrics`,
    );
  }
  if (figures.p95Seconds !== undefined && figures.p95Seconds * 1000 > thresholds.p95LatencyMs) {
    const over = figures.p95Seconds - thresholds.p95LatencyMs / 1000;
    warning(
      `p95 latency ${format.latency(figures.p95Seconds)} is over the ${thresholds.p95LatencyMs} ms threshold by ${format.latency(over)}`,
    );
  }
  if (figures.errorRatio !== undefined && figures.errorRatio * 100 > thresholds.errorRatioPercent) {
    const over = figures.errorRatio - thresholds.errorRatioPercent / 100;
    error(
      `error ratio ${format.ratio(figures.errorRatio)} is over the ${thresholds.errorRatioPercent}% threshold by ${(over * 100).toFixed(2)} points`,
    );
  }
  for (const { instance, cores } of figures.cpuCores) {
    if (cores * 100 > thresholds.cpuPercent) {
      warning(
        `CPU of ${instance || job} is ${format.cpu(cores)} of a core, over the ${thresholds.cpuPercent}% threshold by ${(cores * 100 - thresholds.cpuPercent).toFixed(1)} points`,
      );
    }
  }
  return found;
}

/** Telex's status for a report: error when anything critical is wrong, warning when only warnings are. */
export function reportStatus(found: readonly Problem[]): TelexStatus {
  if (found.some((problem) => problem.severity === 'error')) return 'error';
  return found.length > 0 ? 'warning' : 'success';
}

export interface HealthReport {
  status: TelexStatus;
  message: string;
}

export interface ReportContext {
  job: string;
  /** For the dashboard link; empty leaves it out. */
  grafanaUrl: string;
}

function slowestTraceLine(figures: HealthFigures): string[] {
  const trace = figures.slowestTrace;
  const route = figures.slowestRoute?.route;
  if (trace === undefined || route === undefined) return [];
  if (trace === 'none') return [`slowest trace of ${route} (5m): none kept`];
  if ('unavailable' in trace) return [`slowest trace of ${route} (5m): ${trace.unavailable}`];
  return [`slowest trace of ${route} (5m): ${Math.round(trace.durationMs)} ms, ${trace.link}`];
}

export function healthReport(
  figures: HealthFigures,
  thresholds: Thresholds,
  context: ReportContext,
): HealthReport {
  const found = problems(figures, thresholds, context.job);
  const upCount = figures.up.filter((t) => t.up).length;
  const cpu = figures.up.length
    ? figures.up
        .map(({ instance }) => {
          const cores = figures.cpuCores.find((c) => c.instance === instance)?.cores;
          // A pushed service's instance may have no label: the service's name stands for it.
          return `${instance || context.job} ${cores === undefined ? 'no data' : format.cpu(cores)}`;
        })
        .join(', ')
    : 'no instance';
  const headline =
    found.length === 0
      ? `${context.job} health: OK (${format.time(figures.at)})`
      : `${context.job} health: ${found.length} problem${found.length === 1 ? '' : 's'} (${format.time(figures.at)})`;
  const hasSlos = figures.budgetLeft.length > 0;
  const lines = [
    headline,
    ...found.map((problem) => `- ${problem.text}`),
    `p95 latency (5m): ${figures.p95Seconds === undefined ? 'no requests' : format.latency(figures.p95Seconds)}, threshold ${thresholds.p95LatencyMs} ms`,
    `request rate (1m): ${figures.requestRate === undefined ? 'no data' : format.rate(figures.requestRate)}`,
    `error ratio (1m): ${figures.errorRatio === undefined ? 'no requests' : format.ratio(figures.errorRatio)}, threshold ${thresholds.errorRatioPercent}%`,
    `CPU (1m, % of a core): ${cpu}, threshold ${thresholds.cpuPercent}%`,
    `instances up: ${upCount} of ${figures.up.length}`,
    ...(figures.slowestRoute
      ? [
          `slowest route (p95, 1m): ${figures.slowestRoute.route} ${format.latency(figures.slowestRoute.p95Seconds)}`,
        ]
      : []),
    ...slowestTraceLine(figures),
    // The profile taken while a CPU or heap alert was pending: the functions to blame, by name.
    ...figures.profiles.map(
      (p) =>
        `${p.type} profile of ${p.instance || context.job}: ${p.functions
          .map((f) => `${format.ratio(f.ratio)} ${f.name}${f.location ? ` (${f.location})` : ''}`)
          .join('; ')}`,
    ),
    ...(hasSlos
      ? [
          `error budget left (30 days): ${figures.budgetLeft.map(({ slo, left }) => `${slo} ${format.budget(left)}`).join(', ')}`,
        ]
      : []),
    ...(context.grafanaUrl
      ? [
          `dashboard: ${context.grafanaUrl}/d/fos-service/service-overview?var-service=${encodeURIComponent(context.job)}`,
          ...(hasSlos
            ? [
                `SLOs: ${context.grafanaUrl}/d/fos-slo/service-level-objectives?var-service=${encodeURIComponent(context.job)}`,
              ]
            : []),
        ]
      : []),
  ];
  return { status: reportStatus(found), message: lines.join('\n') };
}

/** The report when there are no figures: it says why, with status error. */
export function unavailableReport(error: unknown, at: Date, job: string): HealthReport {
  const reason =
    error instanceof PrometheusError
      ? error.message
      : `reading Prometheus failed: ${describeFetchError(error)}`;
  return {
    status: 'error',
    message: `${job} health: unknown (${format.time(at)})\n- ${reason}\nNo figures in this report: check that Prometheus runs and that PROMETHEUS_URL points at it.`,
  };
}
