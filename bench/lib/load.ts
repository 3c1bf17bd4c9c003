import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Closed-model load from autocannon: `connections` clients, each sending as soon as it has an answer. */
export function load(url: string, seconds: number, connections: number) {
  return autocannon({ url, connections, duration: seconds, pipelining: 1 });
}

/**
 * One measured run against a server process: a warm-up, then `durationSeconds` of load, with the
 * process's CPU time per request (overhead.ts and instrumentations.ts).
 */
export async function measureLoad(
  url: string,
  pid: number | undefined,
  options: { warmupSeconds: number; durationSeconds: number; connections: number },
) {
  if (options.warmupSeconds > 0) await load(url, options.warmupSeconds, options.connections);
  const cpuBefore = cpuMicros(pid);
  const result = await load(url, options.durationSeconds, options.connections);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest: (cpuMicros(pid) - cpuBefore) / Math.max(result.requests.total, 1),
  };
}

/** utime + stime of a process in microseconds (Linux /proc; 0 elsewhere). */
export function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100);
  } catch {
    return 0;
  }
}

/** Microseconds on the monotonic clock that V8's profiler stamps its samples with. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
