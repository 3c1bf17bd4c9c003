import { isIPv4 } from 'node:net';
import { ConfigError, type ReadText, readEnv, readSecretLine } from '@fos/service-kit';
import { Type } from '@sinclair/typebox';

/** Every variable web-auth reads, with its default: the one place defaults live. */
const EnvSchema = Type.Object({
  /** Where docker-compose.yml publishes Grafana, Prometheus and the Alertmanagers (.env.example). */
  PUBLISH_ADDRESS: Type.String({ default: '127.0.0.1' }),
  /** The stack password (secrets/stack_password on the host, which make up creates). */
  STACK_PASSWORD_FILE: Type.String({ default: '/run/secrets/stack_password' }),
  /** Where the web configuration goes: a volume Prometheus and the Alertmanagers mount read-only. */
  WEB_CONFIG_FILE: Type.String({ default: '/web-auth/web.yml' }),
});

export interface WebAuthConfig {
  publishAddress: string;
  password: string;
  webConfigFile: string;
}

export { ConfigError };

/**
 * The password goes into healthcheck URLs (http://stack:PASSWORD@127.0.0.1:9090/-/ready): only
 * characters a URL carries as they are. make up's are 24 letters and digits.
 */
const PASSWORD = /^[A-Za-z0-9._~-]{12,}$/;

/**
 * Reads and validates the environment and the password file. Throws ConfigError whose message
 * names the bad variable, the value and what it expected; the password itself is never printed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readText?: ReadText): WebAuthConfig {
  const parsed = readEnv(EnvSchema, env);
  // Not 0.0.0.0: the links in alerts and the UIs' own (--web.external-url) name this address, and
  // nobody reaches http://0.0.0.0 from another machine.
  if (!isIPv4(parsed.PUBLISH_ADDRESS) || parsed.PUBLISH_ADDRESS === '0.0.0.0') {
    throw new ConfigError(
      `invalid configuration: PUBLISH_ADDRESS must be an IPv4 address of this machine that others reach it at (such as 192.168.1.10; 127.0.0.1: this machine only), not 0.0.0.0, got '${parsed.PUBLISH_ADDRESS}'`,
    );
  }
  const password = readSecretLine(
    'STACK_PASSWORD_FILE',
    parsed.STACK_PASSWORD_FILE,
    readText,
    '; make up creates secrets/stack_password',
  );
  if (!PASSWORD.test(password)) {
    throw new ConfigError(
      `invalid configuration: STACK_PASSWORD_FILE '${parsed.STACK_PASSWORD_FILE}' must hold the stack password on its first line: 12 or more letters, digits, '.', '_', '~' or '-' (got ${password.length} characters${password.length > 0 && !/^[A-Za-z0-9._~-]*$/.test(password) ? ', some of them others' : ''})`,
    );
  }
  return { publishAddress: parsed.PUBLISH_ADDRESS, password, webConfigFile: parsed.WEB_CONFIG_FILE };
}
