// The runtime scenarios' routes (make scenario SCENARIO=cpu or leak): JavaScript that holds the one
// thread, and memory kept for a while. Nothing calls them but those scenarios, and each is bounded:
// a report burns a fixed slice of CPU, and sessions expire and stop being kept near V8's heap limit,
// so the demo recovers by itself.
import { randomUUID } from 'node:crypto';
import { getHeapStatistics, type HeapInfo } from 'node:v8';
import { heapLimitBytes } from '@fos/fastify-profiler';
import { errorResponseRef, HttpError } from '@fos/service-kit';
import type { FastifyInstance } from 'fastify';

export interface RuntimeRoutesOptions {
  /** CPU one report burns, synchronously. */
  reportCpuMs: number;
  /** Memory one session keeps. */
  sessionBytes: number;
  /** How long a session is kept. */
  sessionTtlMs: number;
  /** V8's heap now (tests give their own, to reach the ceiling without filling the heap). */
  heapStatistics?: () => Pick<HeapInfo, 'used_heap_size' | 'heap_size_limit'>;
}

/**
 * Sessions stop being kept past this share of the heap's limit (the one the heap alerts compare
 * with: --max-old-space-size when set). V8 does not wait for the limit: from 80% of it, four
 * collections in a row that free nothing end the process (seen at 81% with 96 MiB when sessions were
 * kept up to 90%, and at 80.1% up to 80%: what else the process holds grows too). Here HeapNearLimit
 * (70%) fires and nothing dies.
 */
export const SESSIONS_HEAP_CEILING = 0.75;

/**
 * Checksums generated rows until `budgetMs` of CPU time is spent. Synchronous on purpose: while it
 * runs, every other request of the process waits (what a CPU profile and the event-loop alert show).
 */
export function checksum(budgetMs: number): number {
  const until = performance.now() + budgetMs;
  let sum = 0;
  let row = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 5_000; i++) sum = (sum * 33 + ((row * 2_654_435_761 + i) >>> 0)) % 4_294_967_291;
    row++;
  }
  return sum;
}

/** A session's state as a careless cache keeps it: many small strings, about `bytes` in all. */
export function retainSession(sessions: Map<string, string[]>, id: string, bytes: number): void {
  const values: string[] = [];
  for (let kept = 0; kept < bytes; kept += 1024) values.push(`${id}:${kept}:`.padEnd(1000, '.'));
  sessions.set(id, values);
}

export async function runtimeRoutes(app: FastifyInstance, options: RuntimeRoutesOptions): Promise<void> {
  const sessions = new Map<string, string[]>();
  const limit = heapLimitBytes();
  const heapStatistics =
    options.heapStatistics ??
    (() => ({ used_heap_size: getHeapStatistics().used_heap_size, heap_size_limit: limit }));
  const expiries = new Set<NodeJS.Timeout>();
  app.addHook('onClose', async () => {
    for (const timer of expiries) clearTimeout(timer);
    sessions.clear();
  });

  app.get(
    '/report',
    {
      schema: {
        summary: `A report that checksums rows for ${options.reportCpuMs} ms of CPU, blocking the event loop meanwhile (make scenario SCENARIO=cpu)`,
        tags: ['scenarios'],
        response: {
          200: {
            type: 'object',
            required: ['checksum', 'cpuMs'],
            properties: { checksum: { type: 'number' }, cpuMs: { type: 'number' } },
          },
        },
      },
    },
    async () => ({ checksum: checksum(options.reportCpuMs), cpuMs: options.reportCpuMs }),
  );

  app.post(
    '/sessions',
    {
      schema: {
        summary: `Opens a session that keeps ${Math.round(options.sessionBytes / 1024)} KiB for ${Math.round(options.sessionTtlMs / 1000)} s (make scenario SCENARIO=leak)`,
        tags: ['scenarios'],
        response: {
          201: {
            type: 'object',
            required: ['id', 'sessions', 'expiresInSeconds'],
            properties: {
              id: { type: 'string' },
              sessions: { type: 'integer' },
              expiresInSeconds: { type: 'number' },
            },
          },
          '5xx': errorResponseRef,
        },
      },
    },
    async (_request, reply) => {
      const heap = heapStatistics();
      if (heap.used_heap_size + options.sessionBytes > heap.heap_size_limit * SESSIONS_HEAP_CEILING) {
        throw new HttpError(
          503,
          'SESSIONS_FULL',
          `no new session: the heap is near ${Math.round(SESSIONS_HEAP_CEILING * 100)}% of its limit; sessions expire after ${Math.round(options.sessionTtlMs / 1000)} s`,
        );
      }
      const id = randomUUID();
      retainSession(sessions, id, options.sessionBytes);
      const timer = setTimeout(() => {
        sessions.delete(id);
        expiries.delete(timer);
      }, options.sessionTtlMs);
      timer.unref();
      expiries.add(timer);
      return reply
        .code(201)
        .send({ id, sessions: sessions.size, expiresInSeconds: options.sessionTtlMs / 1000 });
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        summary: 'How many sessions are kept now',
        tags: ['scenarios'],
        response: {
          200: { type: 'object', required: ['sessions'], properties: { sessions: { type: 'integer' } } },
        },
      },
    },
    async () => ({ sessions: sessions.size }),
  );

  app.delete(
    '/sessions',
    {
      schema: {
        summary: 'Lets every session go at once',
        tags: ['scenarios'],
        response: {
          200: { type: 'object', required: ['released'], properties: { released: { type: 'integer' } } },
        },
      },
    },
    async () => {
      const released = sessions.size;
      for (const timer of expiries) clearTimeout(timer);
      expiries.clear();
      sessions.clear();
      return { released };
    },
  );
}
