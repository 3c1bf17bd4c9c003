import { describeFetchError } from '@fos/service-kit';

export interface SlowestTrace {
  traceId: string;
  /** The longest span of the trace, in ms: the request as the service saw it. */
  durationMs: number;
}

interface JaegerTraces {
  data?: { traceID: string; spans: { duration: number }[] }[];
}

/** The traces Jaeger's query API (the one Grafana's Jaeger datasource reads) holds, bounded by a timeout. */
export class JaegerClient {
  readonly url: string;
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.url = url;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Of the traces of `service` whose request span has `http.route` = `route` between `from` and
   * `to`, the slowest (Jaeger returns up to `limit`, the newest); undefined when none was kept.
   * Throws, saying why, when Jaeger does not answer.
   */
  async slowestTrace(
    service: string,
    route: string,
    from: Date,
    to: Date,
    limit = 50,
  ): Promise<SlowestTrace | undefined> {
    const params = new URLSearchParams({
      service,
      tags: JSON.stringify({ 'http.route': route }),
      start: String(from.getTime() * 1000),
      end: String(to.getTime() * 1000),
      limit: String(limit),
    });
    let response: Response;
    try {
      response = await fetch(`${this.url}/api/traces?${params}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new Error(`Jaeger at ${this.url} did not answer: ${describeFetchError(error)}`);
    }
    if (!response.ok) throw new Error(`Jaeger at ${this.url} answered HTTP ${response.status}`);
    const traces = ((await response.json()) as JaegerTraces).data ?? [];
    let slowest: SlowestTrace | undefined;
    for (const trace of traces) {
      // Jaeger's durations are microseconds.
      const durationMs = Math.max(0, ...trace.spans.map((span) => span.duration)) / 1000;
      if (!slowest || durationMs > slowest.durationMs) slowest = { traceId: trace.traceID, durationMs };
    }
    return slowest;
  }
}

/**
 * Where the report's reader opens a trace: Grafana's Explore where it runs; else Jaeger's UI
 * (`jaegerPublicUrl`), or its API where there is no UI (the Jaeger make up-local builds has none).
 */
export function traceLink(
  traceId: string,
  links: { grafanaUrl: string; jaegerUrl: string; jaegerPublicUrl: string },
  from: Date,
  to: Date,
): string {
  if (!links.grafanaUrl) {
    return links.jaegerPublicUrl
      ? `${links.jaegerPublicUrl}/trace/${traceId}`
      : `${links.jaegerUrl}/api/traces/${traceId}`;
  }
  const panes = {
    t: {
      datasource: 'jaeger',
      queries: [{ refId: 'A', datasource: { type: 'jaeger', uid: 'jaeger' }, query: traceId }],
      range: { from: String(from.getTime()), to: String(to.getTime()) },
    },
  };
  return `${links.grafanaUrl}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}
