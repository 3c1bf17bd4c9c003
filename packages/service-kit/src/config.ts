import { readFileSync } from 'node:fs';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import envSchema from 'env-schema';
import type { Login } from './basic-auth.ts';

/** A configuration the service cannot start with; its message names each bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads `env` against `schema` (defaults, coercion, validation) and throws a ConfigError that names
 * each bad variable, what it expected and the value given, so start-up fails loudly instead of
 * running misconfigured.
 */
export function readEnv<S extends TSchema>(schema: S, env: NodeJS.ProcessEnv): Static<S> {
  try {
    return envSchema<Static<S>>({ schema, data: env, env: false, dotenv: false });
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${describeEnvSchemaError(error, env)}`);
  }
}

interface SchemaViolation {
  instancePath: string;
  message?: string;
  params: { allowedValues?: unknown[] };
}

/**
 * ajv says "/PORT must be integer"; users set variables, so say which, with the value they gave:
 * "PORT must be integer, got 'eighty'".
 */
function describeEnvSchemaError(error: unknown, env: NodeJS.ProcessEnv): string {
  const violations = (error as { errors?: SchemaViolation[] }).errors;
  if (!violations) return error instanceof Error ? error.message : String(error);
  return violations
    .map((violation) => {
      const variable = violation.instancePath.replace(/^\//, '');
      const allowed = violation.params.allowedValues ? ` (${violation.params.allowedValues.join(', ')})` : '';
      const given = env[variable] === undefined ? '' : `, got '${env[variable]}'`;
      return `${variable} ${violation.message}${allowed}${given}`;
    })
    .join('; ');
}

/** Reads a file's text: tests give one of their own, so that no secret file is needed on disk. */
export type ReadText = (path: string) => string;

/**
 * The first line of the secret file that `variable` names (a Compose secret holding a password),
 * trimmed. A file that cannot be read is a ConfigError naming the variable, the path and why,
 * followed by `hint` when there is one; the secret itself is never printed.
 */
export function readSecretLine(
  variable: string,
  path: string,
  readText: ReadText = (file) => readFileSync(file, 'utf8'),
  hint = '',
): string {
  let text: string;
  try {
    text = readText(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`invalid configuration: ${variable}: cannot read '${path}' (${code})${hint}`);
  }
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * The variables every service reads, to spread into its schema: where it listens, how it logs, how
 * long it may take to shut down. Each service gives its own port and grace period.
 */
export function serviceEnvFields(defaults: { port: number; shutdownGraceMs: number }) {
  return {
    HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
    PORT: Type.Integer({ default: defaults.port, minimum: 0, maximum: 65535 }),
    NODE_ENV: Type.Unsafe<'production' | 'development' | 'test'>({
      type: 'string',
      enum: ['production', 'development', 'test'],
      default: 'production',
    }),
    LOG_LEVEL: Type.Unsafe<string>({
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    }),
    SHUTDOWN_GRACE_MS: Type.Integer({ default: defaults.shutdownGraceMs, minimum: 100, maximum: 600000 }),
  };
}

/** An http(s) URL without a trailing slash, or a ConfigError naming the variable. */
export function httpUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid configuration: ${variable} must be an http(s) URL, got '${value}'`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(
      `invalid configuration: ${variable} must be an http(s) URL without query, got '${value}'`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** A secret file's first line, which must not be empty. */
export function readSecret(variable: string, file: string, readText: ReadText | undefined): string {
  const secret = readSecretLine(variable, file, readText);
  if (secret === '') {
    throw new ConfigError(
      `invalid configuration: ${variable} '${file}' must hold the secret on its first line, got an empty one`,
    );
  }
  return secret;
}

/** Both variables or neither (PREFIX_USERNAME, PREFIX_PASSWORD_FILE); the password is never printed. */
export function readLogin(
  prefix: string,
  username: string,
  passwordFile: string,
  readText: ReadText | undefined,
): Login | undefined {
  if (username === '' && passwordFile === '') return undefined;
  if (username === '' || passwordFile === '') {
    throw new ConfigError(
      `invalid configuration: ${prefix}_USERNAME and ${prefix}_PASSWORD_FILE go together, got ${prefix}_USERNAME='${username}' and ${prefix}_PASSWORD_FILE='${passwordFile}'`,
    );
  }
  return { username, password: readSecret(`${prefix}_PASSWORD_FILE`, passwordFile, readText) };
}

/** The variables of a service that reads Prometheus, to spread into its schema: where, its login, how long to wait. */
export function prometheusEnvFields() {
  return {
    PROMETHEUS_URL: Type.String({ default: 'http://127.0.0.1:9090' }),
    /** Basic auth for Prometheus: a user, and a file whose first line is the password. Empty: none. */
    PROMETHEUS_USERNAME: Type.String({ default: '' }),
    PROMETHEUS_PASSWORD_FILE: Type.String({ default: '' }),
    PROMETHEUS_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 60000 }),
  };
}

export interface PrometheusSettings {
  url: string;
  /** The login Prometheus asks for, if any. */
  login?: Login;
  timeoutMs: number;
}

/** The settings prometheusEnvFields() reads, checked: a URL, and both parts of a login or neither. */
export function prometheusSettings(
  parsed: {
    PROMETHEUS_URL: string;
    PROMETHEUS_USERNAME: string;
    PROMETHEUS_PASSWORD_FILE: string;
    PROMETHEUS_TIMEOUT_MS: number;
  },
  readText?: ReadText,
): PrometheusSettings {
  const login = readLogin(
    'PROMETHEUS',
    parsed.PROMETHEUS_USERNAME,
    parsed.PROMETHEUS_PASSWORD_FILE,
    readText,
  );
  return {
    url: httpUrl('PROMETHEUS_URL', parsed.PROMETHEUS_URL),
    ...(login ? { login } : {}),
    timeoutMs: parsed.PROMETHEUS_TIMEOUT_MS,
  };
}
