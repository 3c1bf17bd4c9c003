import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { parseLatencyProfile } from '../src/latency.ts';

describe('loadConfig', () => {
  it('has sane defaults for every variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      nodeEnv: 'production',
      logLevel: 'info',
      serviceName: 'webapp',
      environment: 'local',
      metricsEnabled: true,
      shutdownGraceMs: 10000,
    });
    expect(config.latency.ep_four).toEqual({ medianMs: 600, p95Ms: 900 });
    // No endpoints: no traces and no log records sent; every trace that starts here kept, 10 a second at most.
    expect(config.telemetry).toEqual({
      serviceName: 'webapp',
      tracesEndpoint: '',
      logsEndpoint: '',
      sampleRatio: 1,
      maxTracesPerSecond: 10,
    });
  });

  it('reads overrides', () => {
    const config = loadConfig({ PORT: '8080', EP_ONE_LATENCY: '5:7', METRICS_ENABLED: 'false' });
    expect(config.port).toBe(8080);
    expect(config.latency.ep_one).toEqual({ medianMs: 5, p95Ms: 7 });
    expect(config.metricsEnabled).toBe(false);
  });

  it.each([
    ['PORT', 'abc', /PORT must be integer/],
    ['PORT', '70000', /PORT must be <= 65535/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be equal to one of the allowed values/],
    ['SERVICE_NAME', 'has space', /SERVICE_NAME must match pattern .*, got 'has space'/],
    ['EP_THREE_LATENCY', 'slow', /EP_THREE_LATENCY must be "<median_ms>:<p95_ms>".*got "slow"/],
    ['EP_ONE_LATENCY', '90:50', /EP_ONE_LATENCY must be .*median <= p95/],
    ['SHUTDOWN_GRACE_MS', '5', /SHUTDOWN_GRACE_MS must be >= 100/],
    ['OTEL_TRACES_SAMPLER_ARG', '2', /OTEL_TRACES_SAMPLER_ARG must be <= 1, got '2'/],
    ['TRACES_MAX_PER_SECOND', '0', /TRACES_MAX_PER_SECOND must be > 0, got '0'/],
    [
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'jaeger:4318',
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must match pattern .*, got 'jaeger:4318'/,
    ],
    ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'ftp://x', /OTEL_EXPORTER_OTLP_LOGS_ENDPOINT must match pattern/],
  ])('rejects %s=%s naming the variable and what it expected', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrowError(message);
  });

  it('reports every bad latency variable at once', () => {
    expect(() => loadConfig({ EP_ONE_LATENCY: 'x', EP_FOUR_LATENCY: '0:0' })).toThrowError(
      /EP_ONE_LATENCY.*; EP_FOUR_LATENCY/,
    );
  });
});

describe('parseLatencyProfile', () => {
  it('accepts decimals and spaces', () => {
    expect(parseLatencyProfile(' 12.5 : 40 ')).toEqual({ medianMs: 12.5, p95Ms: 40 });
  });
  it.each(['', '10', '10:', ':10', '-1:5', '0:5', '5:70000', 'a:b'])('rejects "%s"', (text) => {
    expect(() => parseLatencyProfile(text)).toThrow(/median_ms/);
  });
});
