import { parseArgs } from 'node:util';
import { SCENARIOS, type ScenarioName } from './scenarios.ts';
import { TRAFFIC_ROUTES, type TrafficRoute, type Weights } from './traffic.ts';

export interface GeneratorOptions {
  target: URL;
  scenario: ScenarioName;
  rate: number;
  spikeRate: number;
  spikeSeconds: number;
  /** 0 runs until SIGINT/SIGTERM. */
  durationSeconds: number;
  weights?: Weights;
  maxInFlight: number;
  timeoutMs: number;
  reportEverySeconds: number;
  seed?: number;
  heartbeatFile?: string;
  /** OTLP/HTTP traces endpoint: each request a client span whose context the webapp continues. */
  tracesEndpoint?: string;
  /** The share of requests whose trace is kept (the webapp follows the decision). */
  traceSampleRatio: number;
  tracesMaxPerSecond: number;
  json: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `checkOnly`: --check-config, the settings are valid and nothing is sent (make up's check). */
export type ParseResult = { help: true } | { help: false; checkOnly: boolean; options: GeneratorOptions };

interface Setting {
  flag: string;
  env?: string;
  default?: string;
  help: string;
}

/** Every flag, its environment variable and default: the help text and the parser both read this. */
const SETTINGS = {
  target: {
    flag: 'target',
    env: 'TARGET_URL',
    default: 'http://127.0.0.1:3000',
    help: 'base URL of the webapp',
  },
  scenario: {
    flag: 'scenario',
    env: 'SCENARIO',
    default: 'steady',
    help: `traffic shape: ${SCENARIOS.join(', ')}`,
  },
  rate: {
    flag: 'rate',
    env: 'RATE',
    default: '5',
    help: 'requests per second, exact each second, at random instants',
  },
  spikeRate: {
    flag: 'spike-rate',
    env: 'SPIKE_RATE',
    default: '40',
    help: 'requests per second during a spike',
  },
  spikeSeconds: {
    flag: 'spike-seconds',
    env: 'SPIKE_SECONDS',
    default: '90',
    help: 'how long a spike lasts',
  },
  duration: { flag: 'duration', env: 'DURATION', default: '0', help: 'seconds to run; 0 runs until stopped' },
  weights: {
    flag: 'weights',
    env: 'WEIGHTS',
    help: `route weights, e.g. "ep_one=3,error=1" (routes: ${TRAFFIC_ROUTES.join(', ')})`,
  },
  maxInFlight: {
    flag: 'max-in-flight',
    env: 'MAX_IN_FLIGHT',
    default: '256',
    help: 'requests outstanding at most; arrivals past it are counted as skipped',
  },
  timeout: { flag: 'timeout', env: 'REQUEST_TIMEOUT_MS', default: '5000', help: 'per-request timeout in ms' },
  reportEvery: {
    flag: 'report-every',
    env: 'REPORT_EVERY',
    default: '10',
    help: 'seconds between progress lines; 0 for none',
  },
  seed: { flag: 'seed', env: 'SEED', help: 'seed for the random source, for a repeatable run' },
  heartbeatFile: {
    flag: 'heartbeat-file',
    env: 'HEARTBEAT_FILE',
    help: 'file to write the time to every 5 s while running (for container healthchecks)',
  },
  tracesEndpoint: {
    flag: 'traces-endpoint',
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    help: 'OTLP/HTTP endpoint for a span per request, e.g. http://jaeger:4318/v1/traces (none: no traces)',
  },
  traceSampleRatio: {
    flag: 'trace-sample-ratio',
    env: 'OTEL_TRACES_SAMPLER_ARG',
    default: '1',
    help: 'share of requests traced, 0 to 1; the webapp follows each decision',
  },
  tracesMaxPerSecond: {
    flag: 'traces-max-per-second',
    env: 'TRACES_MAX_PER_SECOND',
    default: '10',
    help: 'at most this many requests traced a second, whatever the ratio (bounds the cost)',
  },
  json: { flag: 'json', help: 'print the final summary as one JSON line' },
  checkConfig: {
    flag: 'check-config',
    help: 'check the flags and environment, then exit (0, or 2 naming the bad one)',
  },
  help: { flag: 'help', help: 'show this help' },
} as const satisfies Record<string, Setting>;

export const HELP = `Usage: request-generator [flags]

Sends the webapp random, weighted, open-model traffic at a set rate.
Each flag can also be set by its environment variable; a flag wins over the environment.

${Object.values(SETTINGS as Record<string, Setting>)
  .map((s) => {
    const env = s.env ? ` (env ${s.env})` : '';
    const fallback = s.default !== undefined ? ` [default: ${s.default}]` : '';
    return `  --${s.flag.padEnd(15)} ${s.help}${env}${fallback}`;
  })
  .join('\n')}

Exit codes: 0 every request answered; 2 bad flags; 3 some requests failed (reset, timeout,
or an unexpected 5xx); 4 the target never answered; 1 internal error.
`;

type Raw = Record<string, string | boolean | undefined>;
const BOOLEAN_FLAGS: readonly string[] = ['json', 'check-config', 'help'];

function source(setting: Setting, raw: Raw, env: Record<string, string | undefined>) {
  const fromFlag = raw[setting.flag];
  if (typeof fromFlag === 'string') return { text: fromFlag, name: `--${setting.flag}` };
  const fromEnv = setting.env ? env[setting.env] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') return { text: fromEnv, name: `${setting.env} (environment)` };
  return { text: setting.default, name: `--${setting.flag}` };
}

function number(
  setting: Setting,
  raw: Raw,
  env: Record<string, string | undefined>,
  min: number,
  max: number,
) {
  const { text, name } = source(setting, raw, env);
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${name}: expected a number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function integer(
  setting: Setting,
  raw: Raw,
  env: Record<string, string | undefined>,
  min: number,
  max: number,
) {
  const value = number(setting, raw, env, min, max);
  if (!Number.isInteger(value)) {
    throw new UsageError(`${source(setting, raw, env).name}: expected a whole number, got "${value}"`);
  }
  return value;
}

export function parseWeights(text: string, name: string): Weights {
  const weights = Object.fromEntries(TRAFFIC_ROUTES.map((route) => [route, 0])) as Weights;
  for (const part of text.split(',')) {
    const match = /^\s*([a-z_]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match) throw new UsageError(`${name}: expected "route=weight,…", got "${part.trim()}" in "${text}"`);
    const route = match[1] as TrafficRoute;
    if (!TRAFFIC_ROUTES.includes(route)) {
      throw new UsageError(`${name}: unknown route "${route}"; routes are ${TRAFFIC_ROUTES.join(', ')}`);
    }
    weights[route] = Number(match[2]);
  }
  if (!Object.values(weights).some((weight) => weight > 0)) {
    throw new UsageError(`${name}: at least one route needs a weight above 0`);
  }
  return weights;
}

/** Parses flags and environment into validated options; throws UsageError naming the flag or variable. */
export function parseArguments(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): ParseResult {
  let raw: Raw;
  try {
    raw = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.values(SETTINGS as Record<string, Setting>).map((s) => [
          s.flag,
          { type: BOOLEAN_FLAGS.includes(s.flag) ? 'boolean' : 'string' },
        ]),
      ) as Record<string, { type: 'string' | 'boolean' }>,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Unknown option '(.*)'.*$/s, 'unknown flag $1'));
  }
  if (raw.help === true) return { help: true };

  const targetSource = source(SETTINGS.target, raw, env);
  let target: URL;
  try {
    target = new URL(targetSource.text ?? '');
  } catch {
    throw new UsageError(`${targetSource.name}: expected an http(s) URL, got "${targetSource.text}"`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new UsageError(`${targetSource.name}: expected an http(s) URL, got "${targetSource.text}"`);
  }

  const scenarioSource = source(SETTINGS.scenario, raw, env);
  if (!SCENARIOS.includes(scenarioSource.text as ScenarioName)) {
    throw new UsageError(
      `${scenarioSource.name}: expected one of ${SCENARIOS.join(', ')}, got "${scenarioSource.text}"`,
    );
  }

  const weightsSource = source(SETTINGS.weights, raw, env);
  const seedSource = source(SETTINGS.seed, raw, env);
  const heartbeatSource = source(SETTINGS.heartbeatFile, raw, env);
  const tracesSource = source(SETTINGS.tracesEndpoint, raw, env);
  if (tracesSource.text && !/^https?:\/\/\S+$/.test(tracesSource.text)) {
    throw new UsageError(`${tracesSource.name}: expected an http(s) URL, got "${tracesSource.text}"`);
  }
  return {
    help: false,
    checkOnly: raw['check-config'] === true,
    options: {
      target,
      scenario: scenarioSource.text as ScenarioName,
      rate: number(SETTINGS.rate, raw, env, 0.1, 100_000),
      spikeRate: number(SETTINGS.spikeRate, raw, env, 0.1, 100_000),
      spikeSeconds: number(SETTINGS.spikeSeconds, raw, env, 1, 86_400),
      durationSeconds: number(SETTINGS.duration, raw, env, 0, 31_536_000),
      ...(weightsSource.text !== undefined
        ? { weights: parseWeights(weightsSource.text, weightsSource.name) }
        : {}),
      maxInFlight: integer(SETTINGS.maxInFlight, raw, env, 1, 100_000),
      timeoutMs: integer(SETTINGS.timeout, raw, env, 1, 600_000),
      reportEverySeconds: number(SETTINGS.reportEvery, raw, env, 0, 86_400),
      ...(seedSource.text !== undefined ? { seed: integer(SETTINGS.seed, raw, env, 0, 2 ** 32 - 1) } : {}),
      ...(heartbeatSource.text ? { heartbeatFile: heartbeatSource.text } : {}),
      ...(tracesSource.text ? { tracesEndpoint: tracesSource.text } : {}),
      traceSampleRatio: number(SETTINGS.traceSampleRatio, raw, env, 0, 1),
      tracesMaxPerSecond: number(SETTINGS.tracesMaxPerSecond, raw, env, 0.01, 100_000),
      json: raw.json === true,
    },
  };
}
