import {
  ConfigError,
  httpUrl,
  prometheusEnvFields,
  prometheusSettings,
  type ReadText,
  readEnv,
  readLogin,
  readSecret,
  serviceEnvFields,
} from '@fos/service-kit/config';
import {
  type TelemetrySettings,
  telemetryEnvFields,
  telemetrySettings,
} from '@fos/service-kit/telemetry-settings';
import { type Static, Type } from '@sinclair/typebox';
import { JOB_PATTERN } from './settings.ts';

/** Every variable the service reads, with its default: the one place defaults live. */
const EnvSchema = Type.Object({
  ...serviceEnvFields({ port: 3100, shutdownGraceMs: 30000 }),
  /** Where Telex reaches this service: tick_url and app_url are built from it. Empty: http://127.0.0.1:PORT. */
  PUBLIC_URL: Type.String({ default: '' }),
  ...prometheusEnvFields(),
  /** The A2A agent's Alertmanagers, comma-separated: each call goes to the first that answers. */
  ALERTMANAGER_URLS: Type.String({ default: 'http://127.0.0.1:9093' }),
  /** The Alertmanager UI the channel's members reach, for links in answers. Empty: the first of ALERTMANAGER_URLS. */
  ALERTMANAGER_PUBLIC_URL: Type.String({ default: '' }),
  /** Basic auth for the Alertmanagers, as for Prometheus. Empty: none. */
  ALERTMANAGER_USERNAME: Type.String({ default: '' }),
  ALERTMANAGER_PASSWORD_FILE: Type.String({ default: '' }),
  /** A file whose first line is the key A2A calls must carry (X-TELEX-API-KEY or Bearer). Empty: none asked. */
  AGENT_API_KEY_FILE: Type.String({ default: '' }),
  /** Host names a tick's return_url and an A2A push URL may point at, comma-separated: nothing is posted elsewhere. */
  TELEX_RETURN_URL_HOSTS: Type.String({ default: 'ping.telex.im' }),
  /** Origins allowed to read integration.json from a browser (CORS), comma-separated: Telex's web apps. */
  TELEX_CORS_ORIGINS: Type.String({ default: 'https://telex.im,https://staging.telex.im' }),
  /** The Prometheus job of the webapp the reports are about. */
  WEBAPP_JOB: Type.String({ default: 'webapp', pattern: JOB_PATTERN.source }),
  /** The Grafana the channel's members reach, for the dashboard link in reports; empty leaves it out. */
  GRAFANA_URL: Type.String({ default: '' }),
  /** Jaeger's query API, where a report finds the slowest route's slowest trace; empty leaves that out. */
  JAEGER_URL: Type.String({ default: '' }),
  /**
   * Jaeger's UI as the channel's members reach it, where a report's trace link opens without Grafana.
   * Empty: the trace as JAEGER_URL's API serves it (a Jaeger built without its UI has only that).
   */
  JAEGER_PUBLIC_URL: Type.String({ default: '' }),
  /** VictoriaLogs' query API as the channel's members reach it: an alert's logs link without Grafana. Empty: none. */
  VICTORIALOGS_URL: Type.String({ default: '' }),
  /** The profile collector as the channel's members reach it: an alert's flame graph and pprof. Empty: none. */
  PROFILES_URL: Type.String({ default: '' }),
  /** Posting a message: attempts in all, the first wait between them (doubling), each attempt's timeout. */
  DELIVERY_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 10 }),
  DELIVERY_BACKOFF_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 60000 }),
  DELIVERY_TIMEOUT_MS: Type.Integer({ default: 10000, minimum: 100, maximum: 60000 }),
  ...telemetryEnvFields(),
});

type Env = Static<typeof EnvSchema>;

export interface IntegrationConfig {
  host: string;
  port: number;
  nodeEnv: Env['NODE_ENV'];
  logLevel: string;
  publicUrl: string;
  prometheusUrl: string;
  /** The login Prometheus asks for, if any. */
  prometheusLogin?: { username: string; password: string };
  alertmanagerUrls: string[];
  alertmanagerPublicUrl: string;
  alertmanagerLogin?: { username: string; password: string };
  /** The key A2A calls must carry, if any. */
  agentApiKey?: string;
  returnUrlHosts: string[];
  corsOrigins: string[];
  webappJob: string;
  grafanaUrl: string;
  /** Jaeger's query API, for the slowest trace in reports; empty: none. */
  jaegerUrl: string;
  /** Jaeger's UI for links where no Grafana runs; empty: JAEGER_URL's API. */
  jaegerPublicUrl: string;
  /** VictoriaLogs for logs links where no Grafana runs; empty: none. */
  victoriaLogsUrl: string;
  /** The profile collector, for an alert's profile links; empty: none. */
  profilesUrl: string;
  prometheusTimeoutMs: number;
  delivery: { attempts: number; backoffMs: number; timeoutMs: number };
  telemetry: TelemetrySettings;
  shutdownGraceMs: number;
}

export { ConfigError };

/** scheme://host[:port] and nothing else, as a browser sends in its Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Reads and validates the environment. Throws ConfigError whose message names the bad variable, the
 * value and what it expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readText?: ReadText): IntegrationConfig {
  const parsed: Env = readEnv(EnvSchema, env);
  const prometheus = prometheusSettings(parsed, readText);
  const alertmanagerLogin = readLogin(
    'ALERTMANAGER',
    parsed.ALERTMANAGER_USERNAME,
    parsed.ALERTMANAGER_PASSWORD_FILE,
    readText,
  );
  const alertmanagerUrls = parsed.ALERTMANAGER_URLS.split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (alertmanagerUrls.length === 0) {
    throw new ConfigError(
      `invalid configuration: ALERTMANAGER_URLS must be comma-separated http(s) URLs, got '${parsed.ALERTMANAGER_URLS}'`,
    );
  }
  const alertmanagers = alertmanagerUrls.map((url) => httpUrl('ALERTMANAGER_URLS', url));
  const returnUrlHosts = parsed.TELEX_RETURN_URL_HOSTS.split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  const badHost = returnUrlHosts.find((host) => !HOST_NAME.test(host));
  if (returnUrlHosts.length === 0 || badHost !== undefined) {
    throw new ConfigError(
      `invalid configuration: TELEX_RETURN_URL_HOSTS must be comma-separated host names, got '${parsed.TELEX_RETURN_URL_HOSTS}'`,
    );
  }
  const corsOrigins = parsed.TELEX_CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  const badOrigin = corsOrigins.find((origin) => !isOrigin(origin));
  if (badOrigin !== undefined) {
    throw new ConfigError(
      `invalid configuration: TELEX_CORS_ORIGINS must be comma-separated origins like https://telex.im, got '${parsed.TELEX_CORS_ORIGINS}'`,
    );
  }
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    nodeEnv: parsed.NODE_ENV,
    logLevel: parsed.LOG_LEVEL,
    publicUrl: httpUrl('PUBLIC_URL', parsed.PUBLIC_URL || `http://127.0.0.1:${parsed.PORT}`),
    prometheusUrl: prometheus.url,
    ...(prometheus.login ? { prometheusLogin: prometheus.login } : {}),
    alertmanagerUrls: alertmanagers,
    alertmanagerPublicUrl:
      parsed.ALERTMANAGER_PUBLIC_URL === ''
        ? (alertmanagers[0] as string)
        : httpUrl('ALERTMANAGER_PUBLIC_URL', parsed.ALERTMANAGER_PUBLIC_URL),
    ...(alertmanagerLogin ? { alertmanagerLogin } : {}),
    ...(parsed.AGENT_API_KEY_FILE === ''
      ? {}
      : { agentApiKey: readSecret('AGENT_API_KEY_FILE', parsed.AGENT_API_KEY_FILE, readText) }),
    returnUrlHosts,
    corsOrigins,
    webappJob: parsed.WEBAPP_JOB,
    grafanaUrl: parsed.GRAFANA_URL === '' ? '' : httpUrl('GRAFANA_URL', parsed.GRAFANA_URL),
    jaegerUrl: parsed.JAEGER_URL === '' ? '' : httpUrl('JAEGER_URL', parsed.JAEGER_URL),
    jaegerPublicUrl:
      parsed.JAEGER_PUBLIC_URL === '' ? '' : httpUrl('JAEGER_PUBLIC_URL', parsed.JAEGER_PUBLIC_URL),
    victoriaLogsUrl:
      parsed.VICTORIALOGS_URL === '' ? '' : httpUrl('VICTORIALOGS_URL', parsed.VICTORIALOGS_URL),
    profilesUrl: parsed.PROFILES_URL === '' ? '' : httpUrl('PROFILES_URL', parsed.PROFILES_URL),
    prometheusTimeoutMs: prometheus.timeoutMs,
    delivery: {
      attempts: parsed.DELIVERY_ATTEMPTS,
      backoffMs: parsed.DELIVERY_BACKOFF_MS,
      timeoutMs: parsed.DELIVERY_TIMEOUT_MS,
    },
    telemetry: telemetrySettings('telex-integration', parsed),
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  };
}
