// Asks one instance's profiler (@fos/fastify-profiler) for a profile, and says in one line why there
// is none when there is none: what the alert then carries instead.
import { type ProfileType, WORKING_DIRECTORY_HEADER } from '@fos/fastify-profiler';
import { describeFetchError } from '@fos/service-kit';

export const FAILURE_OUTCOMES = [
  'unreachable',
  'no_profiler',
  'refused',
  'busy',
  'interrupted',
  'failed',
] as const;
export type FailureOutcome = (typeof FAILURE_OUTCOMES)[number];

export type TakenProfile =
  | { ok: true; body: Buffer; workingDirectory: string }
  | { ok: false; outcome: FailureOutcome; reason: string };

export interface TakeProfileOptions {
  /** The scrape target's address (the alert's `instance` label): the profiler is on the port /metrics is. */
  instance: string;
  type: ProfileType;
  seconds: number;
  token: string;
  /** Aborts the capture (the collector closing); the profiler stops when the connection closes. */
  signal?: AbortSignal;
}

/** How long past its duration a capture may take to arrive before it is given up on. */
export const CAPTURE_GRACE_MS = 15_000;

export async function takeProfile(options: TakeProfileOptions): Promise<TakenProfile> {
  const { instance, type, seconds } = options;
  const url = `http://${instance}/debug/profile/${type}?seconds=${seconds}`;
  const timeout = AbortSignal.timeout(seconds * 1000 + CAPTURE_GRACE_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${options.token}` }, signal });
  } catch (error) {
    const why = describeFetchError(error);
    // The profiler answers once the capture is over: a connection that closes before then is a
    // process that went away (or restarted) while it was being profiled.
    if (/UND_ERR_SOCKET|ECONNRESET|other side closed/.test(why)) {
      return {
        ok: false,
        outcome: 'interrupted',
        reason: `${instance} went away during the ${seconds}s capture: ${why}`,
      };
    }
    return { ok: false, outcome: 'unreachable', reason: `${instance} did not answer: ${why}` };
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return {
      ok: false,
      outcome: 'no_profiler',
      reason: `${instance} has no profiler: register @fos/fastify-profiler in the service to get one`,
    };
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return {
      ok: false,
      outcome: 'refused',
      reason: `the profiler at ${instance} refused the stack's token (HTTP ${response.status})`,
    };
  }
  if (response.status === 409) {
    await response.body?.cancel();
    return { ok: false, outcome: 'busy', reason: `a capture was already running at ${instance}` };
  }
  let body: Buffer;
  try {
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    return {
      ok: false,
      outcome: 'interrupted',
      reason: `${instance} went away during the ${seconds}s capture: ${describeFetchError(error)}`,
    };
  }
  if (!response.ok) {
    return {
      ok: false,
      outcome: 'failed',
      reason: `the profiler at ${instance} answered HTTP ${response.status}`,
    };
  }
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    return {
      ok: false,
      outcome: 'failed',
      reason: `the profiler at ${instance} sent a profile that is not JSON`,
    };
  }
  return { ok: true, body, workingDirectory: response.headers.get(WORKING_DIRECTORY_HEADER) ?? '' };
}
