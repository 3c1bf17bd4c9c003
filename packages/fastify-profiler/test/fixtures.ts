// Work with names a profile can be checked for: a function that burns CPU synchronously, and one
// that allocates and keeps what it allocated.

/** Burns about `ms` of CPU on the one thread, as a slow synchronous route would. */
export function checksumForProfilerTest(ms: number): number {
  const until = performance.now() + ms;
  let sum = 0;
  while (performance.now() < until) for (let i = 0; i < 10_000; i++) sum = (sum * 31 + i) % 1_000_003;
  return sum;
}

const kept: unknown[] = [];

/** Allocates about `bytes` in small objects and keeps them until `releaseRetained`. */
export function retainForProfilerTest(bytes: number): void {
  for (let allocated = 0; allocated < bytes; allocated += 1024)
    kept.push({ payload: 'x'.repeat(1000) + allocated });
}

export function releaseRetained(): void {
  kept.length = 0;
}
