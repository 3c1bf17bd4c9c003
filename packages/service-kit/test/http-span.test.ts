import { describe, expect, it } from 'vitest';
import { responseErrorType, serverSpanAttributes, serverSpanName } from '../src/http-span.ts';

const request = {
  method: 'GET',
  route: '/orders/:id',
  scheme: 'http',
  host: 'shop.example.com',
  port: 8080,
  protocolVersion: '1.1',
  userAgent: 'curl/8.5.0',
};

describe('the request span, by OpenTelemetry HTTP server conventions', () => {
  it('is named {method} {route}: one operation a route, not one a URL', () => {
    expect(serverSpanName(request)).toBe('GET /orders/:id');
    expect(serverSpanName({ method: 'POST', route: undefined })).toBe('POST');
  });

  it('names an unusual method HTTP, records it as _OTHER and keeps the original', () => {
    expect(serverSpanName({ method: 'PURGE', route: '/cache' })).toBe('HTTP /cache');
    expect(serverSpanAttributes({ ...request, method: 'PURGE' })).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    });
  });

  it('carries the scheme, server address and port, protocol version and user agent', () => {
    expect(serverSpanAttributes(request)).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': 'shop.example.com',
      'server.port': 8080,
      'network.protocol.version': '1.1',
      'user_agent.original': 'curl/8.5.0',
    });
    expect(
      serverSpanAttributes({ ...request, host: undefined, port: undefined, userAgent: undefined }),
    ).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
    });
  });

  it('sets error.type to the status code of a 5xx only', () => {
    expect(responseErrorType(503)).toBe('503');
    expect(responseErrorType(500)).toBe('500');
    expect(responseErrorType(404)).toBeUndefined();
    expect(responseErrorType(200)).toBeUndefined();
  });
});
