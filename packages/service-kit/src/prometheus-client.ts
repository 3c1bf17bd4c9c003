import { authorizationHeader, type Login } from './basic-auth.ts';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** An alert as a rule holds it: pending until its `for:` has passed, then firing. */
export interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  /** When its condition began (RFC 3339). */
  activeAt: string;
}

export class PrometheusError extends Error {
  override name = 'PrometheusError';
}

/** Instant queries against Prometheus' HTTP API, each bounded by a timeout. */
export class PrometheusClient {
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  /** `login`: basic auth, which the stack's Prometheus asks for once published beyond 127.0.0.1. */
  constructor(url: string, timeoutMs: number, login?: Login) {
    this.url = url;
    this.#timeoutMs = timeoutMs;
    this.#headers = authorizationHeader(login);
  }

  /** The instant vector of `expr` at `time`; a PrometheusError says why there is none. */
  async query(expr: string, time: Date): Promise<Sample[]> {
    const params = new URLSearchParams({ query: expr, time: (time.getTime() / 1000).toFixed(3) });
    const body = await this.#get(`/api/v1/query?${params}`, `the query ${expr}`);
    if (body.data?.resultType !== 'vector') {
      throw new PrometheusError(
        `Prometheus at ${this.url} answered the query ${expr} with no instant vector`,
      );
    }
    return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map(
      (sample) => ({
        labels: sample.metric,
        value: Number(sample.value[1]),
      }),
    );
  }

  /** The alerts its rules hold now, pending and firing, with their annotations (/api/v1/alerts). */
  async alerts(): Promise<RuleAlert[]> {
    const body = await this.#get('/api/v1/alerts', 'the alerts');
    return ((body.data as { alerts?: RuleAlert[] } | undefined)?.alerts ?? []).map((alert) => ({
      labels: alert.labels ?? {},
      annotations: alert.annotations ?? {},
      state: alert.state,
      activeAt: alert.activeAt,
    }));
  }

  async #get(
    path: string,
    what: string,
  ): Promise<{ status?: string; error?: string; data?: { resultType?: string; result?: unknown } }> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: this.#headers,
      });
    } catch (error) {
      throw new PrometheusError(`Prometheus at ${this.url} did not answer: ${describeFetchError(error)}`);
    }
    if (response.status === 401) {
      throw new PrometheusError(
        this.#headers.authorization
          ? `Prometheus at ${this.url} refused the login (HTTP 401): check PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE`
          : `Prometheus at ${this.url} asks for a login (HTTP 401): set PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE`,
      );
    }
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new PrometheusError(
        `Prometheus at ${this.url} answered HTTP ${response.status} without a JSON body`,
      );
    }
    if (body.status !== 'success') {
      throw new PrometheusError(
        `Prometheus at ${this.url} refused ${what}: ${body.error ?? `HTTP ${response.status}`}`,
      );
    }
    return body;
  }
}

/** fetch's TypeError says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause. */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code)
    return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
