import { errorResponseRef, HttpError } from '@fos/service-kit';
import type { FastifyInstance } from 'fastify';
import type { LatencyRoute } from '../config.ts';
import { type LatencyProfile, type RandomSource, sampleLatencyMs } from '../latency.ts';

export type Sleep = (ms: number) => Promise<void>;

export interface EndpointRoutesOptions {
  latency: Record<LatencyRoute, LatencyProfile>;
  faultInjectionEnabled: boolean;
  sleep: Sleep;
  random: RandomSource;
}

const EndpointResponse = {
  type: 'object',
  required: ['route', 'delayMs'],
  properties: { route: { type: 'string' }, delayMs: { type: 'number' } },
} as const;

/** The demo workload: four routes with their own latency profile, and one that always fails. */
export async function endpointRoutes(app: FastifyInstance, options: EndpointRoutesOptions): Promise<void> {
  for (const [name, profile] of Object.entries(options.latency) as [LatencyRoute, LatencyProfile][]) {
    const url = `/${name}`;
    app.get<{ Querystring: { fail: boolean } }>(
      url,
      {
        schema: {
          summary: `Simulated work of about ${profile.medianMs} ms (p95 ${profile.p95Ms} ms)`,
          tags: ['workload'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              fail: {
                type: 'boolean',
                default: false,
                description: 'Fault injection: answer 500 after the delay (FAULT_INJECTION_ENABLED)',
              },
            },
          },
          response: { 200: EndpointResponse, '4xx': errorResponseRef, '5xx': errorResponseRef },
        },
      },
      async (request) => {
        if (request.query.fail && !options.faultInjectionEnabled) {
          throw new HttpError(
            400,
            'FAULT_INJECTION_DISABLED',
            'fault injection is disabled on this instance',
          );
        }
        const delayMs = sampleLatencyMs(profile, options.random);
        // The evidence a trace links to: why this request was slow, or why it failed (the lines
        // carry the trace and span ids). Only the slowest twentieth are logged: a line per request
        // would cost more than the request.
        if (delayMs > profile.p95Ms) {
          request.log.warn(
            { delayMs: Math.round(delayMs), p95Ms: profile.p95Ms },
            `slow on purpose: the latency profile of ${url} drew ${Math.round(delayMs)} ms, over its p95 of ${profile.p95Ms} ms`,
          );
        }
        await options.sleep(delayMs);
        if (request.query.fail) {
          request.log.error(
            { delayMs: Math.round(delayMs) },
            `failing on purpose: ${url}?fail=true (fault injection)`,
          );
          throw new HttpError(500, 'SIMULATED_FAULT', `simulated fault on ${url}`);
        }
        return { route: url, delayMs: Math.round(delayMs * 10) / 10 };
      },
    );
  }

  app.get(
    '/error',
    {
      schema: {
        summary: 'Always fails with HTTP 500, to exercise error metrics and alerts',
        tags: ['workload'],
        response: { '5xx': errorResponseRef },
      },
    },
    async () => {
      throw new HttpError(500, 'DELIBERATE_ERROR', 'this route always fails');
    },
  );
}
