import { describeFetchError } from '@fos/service-kit';

/** The statuses a Telex message can have: how the channel colours it. */
export const TELEX_STATUSES = ['success', 'warning', 'error'] as const;
export type TelexStatus = (typeof TELEX_STATUSES)[number];

/** The body of Telex's return_url and channel webhooks. */
export interface TelexMessage {
  message: string;
  username: string;
  event_name: string;
  status: TelexStatus;
}

export type FailureReason = 'network' | 'timeout' | 'http_4xx' | 'http_5xx';

export type DeliveryResult =
  | { delivered: true; attempts: number }
  | { delivered: false; attempts: number; reason: FailureReason; detail: string };

export interface DeliveryOptions {
  attempts: number;
  /** The wait after the first failed attempt; it doubles after each further one. */
  backoffMs: number;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Told of each failed attempt that will be retried. */
  onRetry?: (attempt: number, reason: FailureReason, detail: string) => void;
  /** Sent with each attempt besides the content type: a push's credentials. */
  headers?: Record<string, string>;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: FailureReason; detail: string };

async function post(
  url: string,
  body: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<Attempt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const detail = describeFetchError(error);
    return { ok: false, retry: true, reason: detail === 'timed out' ? 'timeout' : 'network', detail };
  }
  // Drain the body so the connection is released.
  const text = await response.text().catch(() => '');
  if (response.ok) return { ok: true };
  const detail = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  // 429 and 5xx are the receiver's passing trouble; any other 4xx will not change by retrying.
  if (response.status >= 500 || response.status === 429)
    return { ok: false, retry: true, reason: 'http_5xx', detail };
  return { ok: false, retry: false, reason: 'http_4xx', detail };
}

/**
 * POSTs `message` (as JSON) to `url`, retrying network errors, timeouts, 429 and 5xx with doubling waits, at
 * most `attempts` times. A 2xx or another 4xx ends it: a receiver that was down (connection refused,
 * 5xx) gets the message once it is back, and only once.
 */
export async function deliver(
  url: string,
  message: TelexMessage | Record<string, unknown>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const body = JSON.stringify(message);
  let wait = options.backoffMs;
  for (let attempt = 1; ; attempt++) {
    const result = await post(url, body, options.timeoutMs, options.headers ?? {});
    if (result.ok) return { delivered: true, attempts: attempt };
    if (!result.retry || attempt >= options.attempts) {
      return { delivered: false, attempts: attempt, reason: result.reason, detail: result.detail };
    }
    options.onRetry?.(attempt, result.reason, result.detail);
    await options.sleep(wait);
    wait *= 2;
  }
}
