import { describeFetchError } from './prometheus.ts';

/** An alert as Alertmanager's API v2 lists it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL?: string;
  fingerprint: string;
  /** active: notified; suppressed: silenced or inhibited. */
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface SilenceRequest {
  matchers: { name: string; value: string }[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

export class AlertmanagerError extends Error {
  override name = 'AlertmanagerError';
}

/**
 * Alertmanager's API v2 on the HA pair: each call goes to the first Alertmanager that answers, in
 * order. Silences made on one reach the other by gossip.
 */
export class AlertmanagerClient {
  readonly urls: readonly string[];
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(urls: readonly string[], timeoutMs: number, login?: { username: string; password: string }) {
    this.urls = urls;
    this.#timeoutMs = timeoutMs;
    this.#headers = login
      ? { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` }
      : {};
  }

  /** Every alert Alertmanager holds, notified and suppressed alike. */
  async alerts(): Promise<AlertmanagerAlert[]> {
    const query = new URLSearchParams({
      active: 'true',
      silenced: 'true',
      inhibited: 'true',
      unprocessed: 'false',
    });
    return (await this.#call('GET', `/api/v2/alerts?${query}`)) as AlertmanagerAlert[];
  }

  /** Creates the silence; resolves to its id. */
  async createSilence(silence: SilenceRequest): Promise<string> {
    const body = {
      matchers: silence.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: false,
        isEqual: true,
      })),
      startsAt: silence.startsAt.toISOString(),
      endsAt: silence.endsAt.toISOString(),
      createdBy: silence.createdBy,
      comment: silence.comment,
    };
    const answer = (await this.#call('POST', '/api/v2/silences', body)) as { silenceID?: string };
    if (typeof answer.silenceID !== 'string') {
      throw new AlertmanagerError('Alertmanager created a silence but answered without its id');
    }
    return answer.silenceID;
  }

  /** Ends a silence before its time. */
  async expireSilence(id: string): Promise<void> {
    await this.#call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const unreachable: string[] = [];
    for (const url of this.urls) {
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers: {
            ...this.#headers,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        unreachable.push(`${url}: ${describeFetchError(error)}`);
        continue;
      }
      const text = await response.text();
      if (response.status === 401) {
        throw new AlertmanagerError(
          this.#headers.authorization
            ? `Alertmanager at ${url} refused the login (HTTP 401): check ALERTMANAGER_USERNAME and ALERTMANAGER_PASSWORD_FILE`
            : `Alertmanager at ${url} asks for a login (HTTP 401): set ALERTMANAGER_USERNAME and ALERTMANAGER_PASSWORD_FILE`,
        );
      }
      // A 5xx is this instance's trouble: the other may answer.
      if (response.status >= 500) {
        unreachable.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      if (!response.ok) {
        throw new AlertmanagerError(
          `Alertmanager at ${url} refused ${method} ${path.split('?')[0]}: HTTP ${response.status} ${text.trim().slice(0, 200)}`,
        );
      }
      if (text === '') return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new AlertmanagerError(`Alertmanager at ${url} answered HTTP ${response.status} without JSON`);
      }
    }
    throw new AlertmanagerError(`no Alertmanager answered (${unreachable.join('; ')})`);
  }
}
