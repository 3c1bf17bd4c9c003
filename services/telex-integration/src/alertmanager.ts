import { authorizationHeader, describeFetchError, type Login } from '@fos/service-kit';

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

  constructor(urls: readonly string[], timeoutMs: number, login?: Login) {
    this.urls = urls;
    this.#timeoutMs = timeoutMs;
    this.#headers = authorizationHeader(login);
  }

  /**
   * Every alert the pair holds, notified and suppressed alike: each Alertmanager's, merged by
   * fingerprint. Prometheus sends each alert to both, but one just restarted (or with its queue
   * behind) holds fewer for a while: the union is what fires. Fails only when none answers.
   */
  async alerts(): Promise<AlertmanagerAlert[]> {
    const query = new URLSearchParams({
      active: 'true',
      silenced: 'true',
      inhibited: 'true',
      unprocessed: 'false',
    });
    const answers = await Promise.allSettled(
      this.urls.map((url) => this.#callOne(url, 'GET', `/api/v2/alerts?${query}`)),
    );
    const failure = answers.find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
    // A refused login is a mistake to report, not an instance to skip.
    if (failure && !(failure.reason instanceof Unreachable)) throw failure.reason;
    if (answers.every((answer) => answer.status === 'rejected')) {
      const reasons = answers.map((answer) => (answer as PromiseRejectedResult).reason.message);
      throw new AlertmanagerError(`no Alertmanager answered (${reasons.join('; ')})`);
    }
    const merged = new Map<string, AlertmanagerAlert>();
    for (const answer of answers) {
      if (answer.status !== 'fulfilled') continue;
      for (const alert of answer.value as AlertmanagerAlert[]) {
        // A silence reaches the other instance by gossip: suppressed on either is suppressed.
        const known = merged.get(alert.fingerprint);
        if (!known || (known.status.state !== 'suppressed' && alert.status.state === 'suppressed')) {
          merged.set(alert.fingerprint, alert);
        }
      }
    }
    return [...merged.values()];
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

  /** The call on the first Alertmanager that answers (one down, or failing with a 5xx, is skipped). */
  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const unreachable: string[] = [];
    for (const url of this.urls) {
      try {
        return await this.#callOne(url, method, path, body);
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error;
        unreachable.push(error.message);
      }
    }
    throw new AlertmanagerError(`no Alertmanager answered (${unreachable.join('; ')})`);
  }

  async #callOne(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: { ...this.#headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new Unreachable(`${url}: ${describeFetchError(error)}`);
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
    if (response.status >= 500) throw new Unreachable(`${url}: HTTP ${response.status}`);
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
}

/** An Alertmanager that did not answer, or answered 5xx: the next one is tried. */
class Unreachable extends AlertmanagerError {
  override name = 'Unreachable';
}
