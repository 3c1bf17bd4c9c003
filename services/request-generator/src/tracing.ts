import { TraceAdmission, traceSampler } from '@fos/service-kit/sampler';
import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Send } from './runner.ts';
import type { PlannedRequest } from './traffic.ts';

/** At most this many finished spans wait for Jaeger; more are dropped, never waited for. */
const QUEUE_SIZE = 2048;

export interface Tracing {
  /** `send`, each request in a client span whose context goes out as its traceparent header. */
  wrap(send: TracedSend): Send;
  shutdown(): Promise<void>;
}

/** A send that puts the given headers on the request. */
export type TracedSend = (request: PlannedRequest, headers: Record<string, string>) => ReturnType<Send>;

/**
 * Where a trace starts: the generator decides whether it is kept (`ratio`, at most `maxPerSecond`)
 * and the webapp, which continues it from the traceparent header, follows. OpenTelemetry's SDK,
 * set up by hand: one span per request needs no instrumentation of undici.
 */
export function startTracing(endpoint: string, ratio: number, maxPerSecond: number, target: URL): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'request-generator' }),
    sampler: traceSampler(new TraceAdmission(ratio, maxPerSecond)),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint, timeoutMillis: 5000 }), {
        maxQueueSize: QUEUE_SIZE,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: 5000,
      }),
    ],
  });
  const propagator = new W3CTraceContextPropagator();
  const tracer: Tracer = provider.getTracer('request-generator');
  return {
    wrap: (send) => async (request) => {
      // OpenTelemetry's HTTP client conventions: `{method} {url.template}`, the fixed paths being
      // their own templates; the random paths of unmatched requests have none, so `{method}`.
      const url = new URL(request.path, target.origin);
      const template = request.route === 'not_found' ? undefined : url.pathname;
      const span = tracer.startSpan(template ? `${request.method} ${template}` : request.method, {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          'url.full': url.href,
          'server.address': url.hostname,
          'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          ...(template ? { 'url.template': template } : {}),
        },
      });
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(context.active(), span), headers, {
        set: (carrier, key, value) => {
          carrier[key] = value;
        },
      });
      try {
        const outcome = await send(request, headers);
        if (outcome.kind === 'response') {
          span.setAttribute('http.response.status_code', outcome.status);
          // A client's error is any 4xx or 5xx; error.type is then its status code.
          if (outcome.status >= 400) {
            span.setAttribute('error.type', String(outcome.status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        } else {
          span.setAttribute('error.type', outcome.kind);
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind });
        }
        return outcome;
      } finally {
        span.end();
      }
    },
    shutdown: () => provider.shutdown(),
  };
}
