import {
  ConfigError,
  type ReadText,
  readEnv,
  readSecretLine,
  serviceEnvFields,
} from '@fos/service-kit/config';
import {
  type TelemetrySettings,
  telemetryEnvFields,
  telemetrySettings,
} from '@fos/service-kit/telemetry-settings';
import { type Static, Type } from '@sinclair/typebox';
import { type LatencyProfile, parseLatencyProfile } from './latency.ts';

/** Every variable the webapp reads, with its default: the one place defaults live. */
const EnvSchema = Type.Object({
  ...serviceEnvFields({ port: 3000, shutdownGraceMs: 10000 }),
  SERVICE_NAME: Type.String({ default: 'webapp', pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*$' }),
  ENVIRONMENT: Type.String({ default: 'local', pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*$' }),
  EP_ONE_LATENCY: Type.String({ default: '50:90' }),
  EP_TWO_LATENCY: Type.String({ default: '150:200' }),
  EP_THREE_LATENCY: Type.String({ default: '300:800' }),
  EP_FOUR_LATENCY: Type.String({ default: '600:900' }),
  COUNTER_CHECKPOINT_PATH: Type.String({ default: './data/counter-checkpoint.json', minLength: 1 }),
  METRICS_ENABLED: Type.Boolean({ default: true }),
  FAULT_INJECTION_ENABLED: Type.Boolean({ default: true }),
  // The runtime scenarios' routes (make scenario SCENARIO=cpu or leak): the CPU one request of
  // /report burns, and what one POST /sessions keeps, and for how long.
  REPORT_CPU_MS: Type.Integer({ default: 200, minimum: 1, maximum: 5000 }),
  SESSION_KIB: Type.Integer({ default: 1024, minimum: 1, maximum: 65536 }),
  SESSION_TTL_SECONDS: Type.Integer({ default: 600, minimum: 1, maximum: 86400 }),
  // A file holding the bearer token that opens /debug/profile (the stack's password): empty, no profiler.
  PROFILER_TOKEN_FILE: Type.String({ default: '' }),
  ...telemetryEnvFields(),
});

type Env = Static<typeof EnvSchema>;

export const LATENCY_ROUTES = ['ep_one', 'ep_two', 'ep_three', 'ep_four'] as const;
export type LatencyRoute = (typeof LATENCY_ROUTES)[number];

export { ConfigError };

export interface AppConfig {
  host: string;
  port: number;
  nodeEnv: Env['NODE_ENV'];
  logLevel: string;
  serviceName: string;
  environment: string;
  latency: Record<LatencyRoute, LatencyProfile>;
  counterCheckpointPath: string;
  metricsEnabled: boolean;
  faultInjectionEnabled: boolean;
  reportCpuMs: number;
  sessionBytes: number;
  sessionTtlMs: number;
  /** The token /debug/profile asks for; undefined: no profiler routes. */
  profilerToken?: string;
  telemetry: TelemetrySettings;
  shutdownGraceMs: number;
}

function latencyVariable(route: LatencyRoute): `${Uppercase<LatencyRoute>}_LATENCY` {
  return `${route.toUpperCase() as Uppercase<LatencyRoute>}_LATENCY`;
}

/**
 * Reads and validates the environment. Throws ConfigError whose message names each bad
 * variable and what it expected, so start-up fails loudly instead of running misconfigured.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readText?: ReadText): AppConfig {
  const parsed: Env = readEnv(EnvSchema, env);
  const latencyErrors: string[] = [];
  const latency = {} as Record<LatencyRoute, LatencyProfile>;
  for (const route of LATENCY_ROUTES) {
    const variable = latencyVariable(route);
    try {
      latency[route] = parseLatencyProfile(parsed[variable]);
    } catch (error) {
      latencyErrors.push(`${variable} ${(error as Error).message}`);
    }
  }
  if (latencyErrors.length > 0) {
    throw new ConfigError(`invalid configuration: ${latencyErrors.join('; ')}`);
  }
  let profilerToken: string | undefined;
  if (parsed.PROFILER_TOKEN_FILE !== '') {
    profilerToken = readSecretLine('PROFILER_TOKEN_FILE', parsed.PROFILER_TOKEN_FILE, readText);
    if (profilerToken.length < 12) {
      throw new ConfigError(
        `invalid configuration: PROFILER_TOKEN_FILE '${parsed.PROFILER_TOKEN_FILE}' holds ${profilerToken.length} characters on its first line, expected 12 or more`,
      );
    }
  }
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    serviceName: parsed.SERVICE_NAME,
    environment: parsed.ENVIRONMENT,
    latency,
    counterCheckpointPath: parsed.COUNTER_CHECKPOINT_PATH,
    metricsEnabled: parsed.METRICS_ENABLED,
    faultInjectionEnabled: parsed.FAULT_INJECTION_ENABLED,
    reportCpuMs: parsed.REPORT_CPU_MS,
    sessionBytes: parsed.SESSION_KIB * 1024,
    sessionTtlMs: parsed.SESSION_TTL_SECONDS * 1000,
    ...(profilerToken ? { profilerToken } : {}),
    telemetry: telemetrySettings(parsed.SERVICE_NAME, parsed),
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  };
}
