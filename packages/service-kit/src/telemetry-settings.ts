import { Type } from '@sinclair/typebox';

/**
 * The variables of the services' traces and logs, to spread into a service's schema. Named as
 * OpenTelemetry's own, so that they read the same as for any other service, but validated here.
 */
export function telemetryEnvFields() {
  return {
    /** Where spans go, OTLP over HTTP (Jaeger: http://jaeger:4318/v1/traces). Empty: no traces. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.String({ default: '', pattern: '^(https?://\\S+)?$' }),
    /** Where log records go (VictoriaLogs: http://victorialogs:9428/insert/opentelemetry/v1/logs). Empty: stdout only. */
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: Type.String({ default: '', pattern: '^(https?://\\S+)?$' }),
    /**
     * The share of traces kept, decided where a trace starts (the request generator, or the first
     * service a request reaches); the rest follow that decision. Every one, up to the cap below.
     */
    OTEL_TRACES_SAMPLER_ARG: Type.Number({ default: 1, minimum: 0, maximum: 1 }),
    /**
     * At most this many traces started here a second, whatever the ratio: what tracing costs stays
     * bounded as traffic grows (bench/README.md says why 1 and 10).
     */
    TRACES_MAX_PER_SECOND: Type.Number({ default: 10, exclusiveMinimum: 0 }),
  };
}

export interface TelemetrySettings {
  serviceName: string;
  tracesEndpoint: string;
  logsEndpoint: string;
  sampleRatio: number;
  maxTracesPerSecond: number;
}

/** What a service's config carries of the telemetry variables. */
export function telemetrySettings(
  serviceName: string,
  env: {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: string;
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: string;
    OTEL_TRACES_SAMPLER_ARG: number;
    TRACES_MAX_PER_SECOND: number;
  },
): TelemetrySettings {
  return {
    serviceName,
    tracesEndpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    logsEndpoint: env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
    maxTracesPerSecond: env.TRACES_MAX_PER_SECOND,
  };
}
