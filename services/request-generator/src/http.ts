import { Client, type Dispatcher, Pool } from 'undici';
import type { Outcome } from './stats.ts';
import type { PlannedRequest } from './traffic.ts';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'ABORT_ERR',
]);
const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

/** Names how a request failed; `refused` (nothing listening) is kept apart from real failures. */
export function classifyError(error: unknown): Outcome {
  const err = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const message = err.message ?? String(error);
  if (code === 'ECONNREFUSED') return { kind: 'refused', message };
  if (TIMEOUT_CODES.has(code) || err.name === 'TimeoutError' || err.name === 'AbortError') {
    return { kind: 'timeout', message };
  }
  if (RESET_CODES.has(code)) return { kind: 'reset', message };
  return { kind: 'error', message: code ? `${code}: ${message}` : message };
}

export interface HttpSender {
  /** `headers`: a trace's traceparent (tracing.ts). */
  send: (request: PlannedRequest, headers?: Record<string, string>) => Promise<Outcome>;
  close(): Promise<void>;
}

/** Keep-alive connections to one origin, at most one per outstanding request. */
export function createHttpSender(
  target: URL,
  options: { maxInFlight: number; timeoutMs: number },
): HttpSender {
  const pool = new Pool(target.origin, {
    connections: options.maxInFlight,
    pipelining: 1,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const basePath = target.pathname.replace(/\/$/, '');
  const attempt = async (
    dispatcher: Dispatcher,
    request: PlannedRequest,
    headers: Record<string, string>,
  ): Promise<Outcome> => {
    try {
      const response = await dispatcher.request({
        method: request.method,
        path: `${basePath}${request.path}`,
        headers,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // Read the body to its end: a response cut short (fewer bytes than its Content-Length, then a
      // close) throws here and counts as a reset, not as the status its headers promised. dump()
      // would swallow that error.
      for await (const _chunk of response.body) {
        // discarded
      }
      return { kind: 'response', status: response.statusCode };
    } catch (error) {
      return classifyError(error);
    }
  };
  return {
    // A server that shuts down closes its idle keep-alive connections, and a request written onto
    // one at that instant is lost before the server reads it. Like browsers and Go's net/http, send
    // an idempotent request once more on a fresh connection; the summary counts these as retried.
    // The retry opens a connection of its own: another pooled one may be closing at the same instant.
    async send(request, headers = {}) {
      const first = await attempt(pool, request, headers);
      if (first.kind !== 'reset' || request.method !== 'GET') return first;
      const fresh = new Client(target.origin, { connectTimeout: options.timeoutMs });
      try {
        return { ...(await attempt(fresh, request, headers)), retried: true };
      } finally {
        fresh.close().catch(() => {});
      }
    },
    close: () => pool.close(),
  };
}
