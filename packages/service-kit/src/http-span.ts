// A request span as OpenTelemetry's HTTP server conventions (semantic-conventions, http-spans.md)
// name and describe it: `{method} {route}` (Jaeger lists one operation a route), the method as
// one of the known ones or `_OTHER`, the scheme, and `error.type` on a 5xx. @fastify/otel names
// its span `request` and sets the method, route and status code; these fill in the rest.
import type { Attributes } from '@opentelemetry/api';

/** The methods the conventions name (RFC 9110 and PATCH); any other is `_OTHER`. */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

export interface ServerRequest {
  method: string;
  /** The route template (`/orders/:id`), undefined where none matched. */
  route: string | undefined;
  /** `http` or `https`. */
  scheme: string;
  host: string | undefined;
  port: number | undefined;
  /** `1.1`, `2`. */
  protocolVersion: string;
  userAgent: string | undefined;
}

/** The span name: `{method} {route}`, `HTTP` for an `_OTHER` method, the method alone without a route. */
export function serverSpanName(request: Pick<ServerRequest, 'method' | 'route'>): string {
  const method = KNOWN_METHODS.has(request.method) ? request.method : 'HTTP';
  return request.route ? `${method} ${request.route}` : method;
}

/** The attributes the conventions require or recommend that @fastify/otel does not set. */
export function serverSpanAttributes(request: ServerRequest): Attributes {
  const known = KNOWN_METHODS.has(request.method);
  return {
    'http.request.method': known ? request.method : '_OTHER',
    ...(known ? {} : { 'http.request.method_original': request.method }),
    'url.scheme': request.scheme,
    ...(request.host ? { 'server.address': request.host } : {}),
    ...(request.port ? { 'server.port': request.port } : {}),
    'network.protocol.version': request.protocolVersion,
    ...(request.userAgent ? { 'user_agent.original': request.userAgent } : {}),
  };
}

/** `error.type` of a response: its status code for a 5xx (the conventions' server errors), else none. */
export function responseErrorType(statusCode: number): string | undefined {
  return statusCode >= 500 ? String(statusCode) : undefined;
}
