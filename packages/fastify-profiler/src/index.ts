// Profiles of a Fastify service on demand, for the stack to take when an alert is about to fire:
//   GET /debug/profile/cpu?seconds=5    Chrome DevTools' .cpuprofile
//   GET /debug/profile/heap?seconds=5   a sampling heap profile (.heapprofile)
// Each behind a bearer token (the stack's credential), one capture at a time per process, its
// duration bounded, and stopped as soon as its caller goes away. Nothing runs between captures.
// With a registry, it also publishes the limits the runtime alerts compare with: V8's heap limit
// and the memory the process may use (its container's limit, where the process can read it).
import { createHash, timingSafeEqual } from 'node:crypto';
import { constrainedMemory } from 'node:process';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from '@prometheus-io/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  CaptureAbortedError,
  type CpuProfile,
  captureCpuProfile,
  captureHeapProfile,
  captureRunning,
  type HeapProfile,
  ProfilerBusyError,
  type ProfileType,
} from './capture.ts';
import { cpuProfileToPprof, heapProfileToPprof } from './pprof.ts';

export {
  type CallFrame,
  CaptureAbortedError,
  type CpuProfile,
  captureCpuProfile,
  captureHeapProfile,
  captureRunning,
  type HeapProfile,
  type HeapProfileNode,
  ProfilerBusyError,
  type ProfileType,
} from './capture.ts';
export { cpuProfileToPprof, heapProfileToPprof } from './pprof.ts';
export { busySamples, describeTop, type TopFunction, topCpuFunctions, topHeapFunctions } from './summary.ts';

export interface FastifyProfilerOptions {
  /** The bearer token a caller must present (the stack's credential). Required: no open profiler. */
  token: string;
  /** The longest capture asked for, in seconds (default 30). */
  maxSeconds?: number;
  /** Where the routes live (default /debug/profile). */
  prefix?: string;
  /** The registry /metrics serves: the runtime's limits and the captures taken go there. */
  registry?: Registry;
}

export const DEFAULT_MAX_SECONDS = 30;
/** The response header that carries the profiled process's working directory. */
export const WORKING_DIRECTORY_HEADER = 'profile-working-directory';
const DEFAULT_SECONDS = 5;

/** A limit of cgroup v1 "unlimited" or none at all reads as a number near 2^63: no limit to report. */
const NO_MEMORY_LIMIT = 2 ** 62;

/**
 * The heap size at which V8 stops the process ("JavaScript heap out of memory"): the old
 * generation's limit when `--max-old-space-size` sets it (in `process.execArgv` or NODE_OPTIONS, the
 * last one wins), else V8's heap_size_limit. V8's number adds the young generation's reserve (three
 * semi-spaces, 192 MiB with Node 24's defaults) to the old generation's limit: with a 64 MiB old
 * generation it says 256 MiB, and the process dies at a quarter of it.
 */
export function heapLimitBytes(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): number {
  let mebibytes: number | undefined;
  for (const argument of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const match = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(argument);
    if (match) mebibytes = Number(match[1]);
  }
  return mebibytes ? mebibytes * 1024 * 1024 : getHeapStatistics().heap_size_limit;
}

/**
 * The heap's limit (heapLimitBytes) and the memory the process may use, as gauges: the runtime
 * alerts compare the heap and resident memory with the service's own limits rather than a fixed size.
 */
export function registerRuntimeLimits(registry: Registry): void {
  const heapLimit = heapLimitBytes();
  new Gauge({
    name: 'nodejs_heap_size_limit_bytes',
    help: "The heap size at which V8 stops the process: --max-old-space-size when set, else V8's heap_size_limit.",
    registers: [registry],
    collect() {
      this.set(heapLimit);
    },
  });
  const limit = constrainedMemory();
  if (limit > 0 && limit < NO_MEMORY_LIMIT) {
    new Gauge({
      name: 'process_memory_limit_bytes',
      help: "The memory the process may use: its container's (cgroup's) limit, process.constrainedMemory().",
      registers: [registry],
      collect() {
        this.set(limit);
      },
    });
  }
}

function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

async function fastifyProfiler(app: FastifyInstance, options: FastifyProfilerOptions): Promise<void> {
  if (typeof options.token !== 'string' || options.token.length < 12) {
    throw new Error('@fos/fastify-profiler: the token option must be a secret of at least 12 characters');
  }
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  if (!Number.isInteger(maxSeconds) || maxSeconds < 1) {
    throw new Error(
      `@fos/fastify-profiler: maxSeconds must be a whole number of seconds >= 1, not ${maxSeconds}`,
    );
  }
  const prefix = options.prefix ?? '/debug/profile';
  const expected = tokenDigest(options.token);
  const captures = options.registry
    ? new Counter({
        name: 'profiler_captures_total',
        help: 'Profiles asked of this process, by type and outcome (taken, busy, aborted, failed).',
        labelNames: ['type', 'outcome'] as const,
        registers: [options.registry],
      })
    : undefined;
  if (options.registry) {
    registerRuntimeLimits(options.registry);
    new Gauge({
      name: 'profiler_capture_running',
      help: 'Whether a capture of this type runs now (1) or not (0): the dashboards mark when one ran.',
      labelNames: ['type'] as const,
      registers: [options.registry],
      collect() {
        for (const type of ['cpu', 'heap'] as const) this.set({ type }, captureRunning() === type ? 1 : 0);
      },
    });
  }

  const authorized = (request: FastifyRequest): boolean => {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    return scheme === 'Bearer' && token !== undefined && timingSafeEqual(tokenDigest(token), expected);
  };

  const route = (
    type: ProfileType,
    take: (seconds: number, signal: AbortSignal) => Promise<CpuProfile | HeapProfile>,
  ) =>
    app.get(
      `${prefix}/${type}`,
      {
        schema: {
          summary:
            type === 'cpu'
              ? 'A CPU profile of this process (Chrome DevTools .cpuprofile)'
              : 'A sampling heap profile of this process (Chrome DevTools .heapprofile)',
          tags: ['observability'],
          querystring: {
            type: 'object',
            properties: {
              seconds: { type: 'integer', minimum: 1, maximum: maxSeconds, default: DEFAULT_SECONDS },
              // DevTools' JSON, or pprof's gzipped protocol buffer (go tool pprof, Pyroscope).
              format: { type: 'string', enum: ['devtools', 'pprof'], default: 'devtools' },
            },
            additionalProperties: false,
          },
        },
      },
      async (
        request: FastifyRequest<{ Querystring: { seconds: number; format: 'devtools' | 'pprof' } }>,
        reply: FastifyReply,
      ) => {
        if (!authorized(request)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer')
            .send({ error: 'a bearer token is required' });
        }
        // The caller's connection closing ends the capture early.
        const gone = new AbortController();
        request.raw.once('close', () => {
          if (!reply.sent) gone.abort();
        });
        try {
          const profile = await take(request.query.seconds, gone.signal);
          captures?.inc({ type, outcome: 'taken' });
          // The profile's scripts are absolute paths of this machine: a collector elsewhere names them
          // relative to this directory, as the summaries here do.
          reply.header(WORKING_DIRECTORY_HEADER, process.cwd());
          const stem = `${type}-${new Date().toISOString().replaceAll(':', '-')}`;
          if (request.query.format === 'pprof') {
            const pprof =
              type === 'cpu'
                ? cpuProfileToPprof(profile as CpuProfile)
                : heapProfileToPprof(profile as HeapProfile);
            return reply
              .type('application/octet-stream')
              .header('content-disposition', `attachment; filename="${stem}.pb.gz"`)
              .send(pprof);
          }
          const name = `${stem}.${type === 'cpu' ? 'cpuprofile' : 'heapprofile'}`;
          return reply.header('content-disposition', `attachment; filename="${name}"`).send(profile);
        } catch (error) {
          if (error instanceof ProfilerBusyError) {
            captures?.inc({ type, outcome: 'busy' });
            return reply.code(409).header('retry-after', String(maxSeconds)).send({ error: error.message });
          }
          if (error instanceof CaptureAbortedError) {
            captures?.inc({ type, outcome: 'aborted' });
            return reply.code(499).send({ error: error.message });
          }
          captures?.inc({ type, outcome: 'failed' });
          throw error;
        }
      },
    );

  route('cpu', (seconds, signal) => captureCpuProfile(seconds, { signal }));
  route('heap', (seconds, signal) => captureHeapProfile(seconds, { signal }));
}

export default fp(fastifyProfiler, { name: '@fos/fastify-profiler', fastify: '5.x' });
