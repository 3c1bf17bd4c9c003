import { Registry } from '@prometheus-io/client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';

export type MetricsFormat = 'openmetrics' | 'text';

/**
 * The format a client asked for, as the official Go client's expfmt.Negotiate picks it: the first
 * media type of its Accept header (in q order, by the `negotiator` library that Express uses) that
 * is OpenMetrics or the text format; the text format for `*\/*`, no header, or nothing known. So
 * Prometheus gets OpenMetrics with its exemplars, curl and older scrapers the text format.
 */
export function negotiatedFormat(accept: string | undefined): MetricsFormat {
  const types = new Negotiator({ headers: accept === undefined ? {} : { accept } }).mediaTypes();
  const known = types.find(
    (type) => type === 'application/openmetrics-text' || type === 'text/plain' || type === '*/*',
  );
  return known === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}

/** The content type of each format, as the client library writes it. */
export const METRICS_CONTENT_TYPES = {
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
  text: Registry.PROMETHEUS_CONTENT_TYPE,
} as const;

/**
 * Renders `registry` in either format. The client library renders a registry in the one format it
 * is set to, and its OpenMetrics rendering renames each counter to its family name (no `_total`),
 * so: one render at a time, the registry set to the format asked for, and in the text format each
 * counter under its sample name, `<family>_total`, the name Prometheus stores from either format.
 */
export function metricsRenderer(registry: Registry): (format: MetricsFormat) => Promise<string> {
  let previous: Promise<unknown> = Promise.resolve();
  return (format) => {
    const rendered = previous.then(() => render(registry, format));
    previous = rendered.catch(() => {});
    return rendered;
  };
}

async function render(registry: Registry, format: MetricsFormat): Promise<string> {
  registry.setContentType(METRICS_CONTENT_TYPES[format]);
  if (format === 'openmetrics') return registry.metrics();
  const counters = registry.getMetricsAsArray().filter((metric) => metric.type === 'counter');
  const names = counters.map((metric) => metric.name);
  for (const metric of counters) metric.name = `${metric.name.replace(/_total$/, '')}_total`;
  try {
    return await registry.metrics();
  } finally {
    counters.forEach((metric, i) => {
      metric.name = names[i] as string;
    });
  }
}

/**
 * A Fastify handler for GET /metrics: `registry` in the format the client negotiates (Accept),
 * with that format's content type. `app.get('/metrics', metricsHandler(registry))`.
 */
export function metricsHandler(
  registry: Registry,
): (request: FastifyRequest, reply: FastifyReply) => Promise<string> {
  const renderMetrics = metricsRenderer(registry);
  return async (request, reply) => {
    const format = negotiatedFormat(request.headers.accept);
    const body = await renderMetrics(format);
    reply.type(METRICS_CONTENT_TYPES[format]);
    return body;
  };
}
