import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Closed-model load from autocannon: `connections` clients, each sending as soon as it has an answer. */
export function load(url: string, seconds: number, connections: number) {
  return autocannon({ url, connections, duration: seconds, pipelining: 1 });
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
