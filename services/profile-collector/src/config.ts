import {
  ConfigError,
  httpUrl,
  type PrometheusSettings,
  prometheusEnvFields,
  prometheusSettings,
  type ReadText,
  readEnv,
  readSecret,
  serviceEnvFields,
} from '@fos/service-kit/config';
import {
  type TelemetrySettings,
  telemetryEnvFields,
  telemetrySettings,
} from '@fos/service-kit/telemetry-settings';
import { type Static, Type } from '@sinclair/typebox';

/** Every variable the service reads, with its default: the one place defaults live. */
const EnvSchema = Type.Object({
  ...serviceEnvFields({ port: 3200, shutdownGraceMs: 15000 }),
  /** Where the people an alert reaches open its profiles: the links in the alerts. Empty: http://127.0.0.1:PORT. */
  PUBLIC_URL: Type.String({ default: '' }),
  ...prometheusEnvFields(),
  /** A file whose first line is the bearer token the instances' profilers ask for (the stack's credential). */
  PROFILER_TOKEN_FILE: Type.String({ minLength: 1 }),
  /** Where profiles are kept, across restarts. */
  PROFILE_DIR: Type.String({ default: 'profiles', minLength: 1 }),
  /** The store's bounds: past either, the oldest profiles are dropped (and counted). */
  STORE_MAX_PROFILES: Type.Integer({ default: 200, minimum: 1, maximum: 100000 }),
  STORE_MAX_MIB: Type.Integer({ default: 256, minimum: 1, maximum: 65536 }),
  /** How often Prometheus' pending and firing alerts are read. */
  POLL_INTERVAL_SECONDS: Type.Integer({ default: 5, minimum: 1, maximum: 300 }),
  /** How long a CPU profile and a sampling heap profile run. */
  CPU_PROFILE_SECONDS: Type.Integer({ default: 5, minimum: 1, maximum: 30 }),
  HEAP_PROFILE_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 30 }),
  /** The least time between two captures of one instance (of one type): a flapping alert is profiled once. */
  CAPTURE_COOLDOWN_SECONDS: Type.Integer({ default: 300, minimum: 0, maximum: 86400 }),
  ...telemetryEnvFields(),
});

type Env = Static<typeof EnvSchema>;

export interface CollectorConfig {
  host: string;
  port: number;
  nodeEnv: Env['NODE_ENV'];
  logLevel: string;
  publicUrl: string;
  prometheus: PrometheusSettings;
  profilerToken: string;
  profileDir: string;
  store: { maxProfiles: number; maxBytes: number };
  pollIntervalMs: number;
  seconds: { cpu: number; heap: number };
  cooldownMs: number;
  telemetry: TelemetrySettings;
  shutdownGraceMs: number;
}

export { ConfigError };

/**
 * Reads and validates the environment. Throws ConfigError whose message names the bad variable, the
 * value and what it expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readText?: ReadText): CollectorConfig {
  const parsed: Env = readEnv(EnvSchema, env);
  const profilerToken = readSecret('PROFILER_TOKEN_FILE', parsed.PROFILER_TOKEN_FILE, readText);
  // The profilers refuse a shorter token (@fos/fastify-profiler): better said at start-up than on each alert.
  if (profilerToken.length < 12) {
    throw new ConfigError(
      `invalid configuration: PROFILER_TOKEN_FILE '${parsed.PROFILER_TOKEN_FILE}' must hold a token of at least 12 characters, got ${profilerToken.length}`,
    );
  }
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    publicUrl: httpUrl('PUBLIC_URL', parsed.PUBLIC_URL || `http://127.0.0.1:${parsed.PORT}`),
    prometheus: prometheusSettings(parsed, readText),
    profilerToken,
    profileDir: parsed.PROFILE_DIR,
    store: { maxProfiles: parsed.STORE_MAX_PROFILES, maxBytes: parsed.STORE_MAX_MIB * 1024 * 1024 },
    pollIntervalMs: parsed.POLL_INTERVAL_SECONDS * 1000,
    seconds: { cpu: parsed.CPU_PROFILE_SECONDS, heap: parsed.HEAP_PROFILE_SECONDS },
    cooldownMs: parsed.CAPTURE_COOLDOWN_SECONDS * 1000,
    telemetry: telemetrySettings('profile-collector', parsed),
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  };
}
