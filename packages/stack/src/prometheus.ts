import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import { parse, stringify } from 'yaml';
import { composeServiceFlags } from './compose-file.ts';
import { freePort, RestartableProcess } from './process.ts';
import { startInDir, workDir } from './workdir.ts';

interface BasicAuth {
  username: string;
  password_file: string;
}
interface ScrapeConfig {
  job_name: string;
  basic_auth?: BasicAuth;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: unknown;
  file_sd_configs?: { files: string[] }[];
}
interface PrometheusConfig {
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[]; basic_auth?: BasicAuth }[] };
  scrape_configs: ScrapeConfig[];
}

export interface LocalAddresses {
  webappTargets: string[];
  /** host:port of each Alertmanager: Prometheus sends to all, and scrapes all. */
  alertmanagers: string[];
  prometheus: string;
  /** host:port of the Telex integration; none where it does not run. */
  telexIntegration?: string;
  /** host:port of the profile collector; none where it does not run. */
  profileCollector?: string;
  /** host:port of Jaeger's metrics and of VictoriaLogs; none where they do not run. */
  jaeger?: string;
  victorialogs?: string;
  /** The folder of targets files (prometheus/targets, or a test's own). */
  targetsDir?: string;
}

/**
 * The repository's prometheus.yml with only the addresses changed: static webapp targets for DNS
 * discovery, local Alertmanager and self, and the rule files by absolute path. The stack's login is
 * dropped: the local stack listens on 127.0.0.1 only, where nothing asks for it.
 */
export function localPrometheusConfig(source: string, addresses: LocalAddresses): string {
  const config = parse(source) as PrometheusConfig;
  config.rule_files = config.rule_files.map((file) => repoPath(`prometheus/${file}`));
  for (const alertmanagers of config.alerting.alertmanagers) {
    alertmanagers.static_configs = [{ targets: addresses.alertmanagers }];
    delete alertmanagers.basic_auth;
  }
  const targets: Record<string, string[]> = {
    webapp: addresses.webappTargets,
    prometheus: [addresses.prometheus],
    alertmanager: addresses.alertmanagers,
    'telex-integration': addresses.telexIntegration ? [addresses.telexIntegration] : [],
    'profile-collector': addresses.profileCollector ? [addresses.profileCollector] : [],
    jaeger: addresses.jaeger ? [addresses.jaeger] : [],
    victorialogs: addresses.victorialogs ? [addresses.victorialogs] : [],
  };
  for (const scrape of config.scrape_configs) {
    if (scrape.file_sd_configs) {
      // prometheus.yml names them relative to itself: targets/*.yml.
      const dir = addresses.targetsDir ?? repoPath('prometheus/targets');
      for (const sd of scrape.file_sd_configs) sd.files = sd.files.map((file) => join(dir, basename(file)));
      continue;
    }
    delete scrape.basic_auth;
    const replacement = targets[scrape.job_name];
    if (!replacement)
      throw new Error(`prometheus.yml has a job the local stack does not know: ${scrape.job_name}`);
    delete scrape.dns_sd_configs;
    scrape.static_configs = [{ targets: replacement }];
  }
  return stringify(config);
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A login for basic auth: the stack's (user `stack`, secrets/stack_password) where it is published. */
export interface Login {
  username: string;
  password: string;
}

/** The Authorization header of a login, or none. */
export function authorization(login?: Login): Record<string, string> {
  if (!login) return {};
  return { authorization: `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}` };
}

/** The parts of the Prometheus HTTP API the tests read. */
export class PrometheusClient {
  readonly url: string;
  readonly #headers: Record<string, string>;
  constructor(url: string, login?: Login) {
    this.url = url;
    this.#headers = authorization(login);
  }

  async #get<T>(path: string, params: Record<string, string>): Promise<T> {
    const response = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`, {
      headers: this.#headers,
    });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  /** The instant vector of `expr` now, or at `time`. */
  async query(expr: string, time?: Date): Promise<VectorSample[]> {
    const data = await this.#get<{ resultType: string; result: VectorSample[] }>('/api/v1/query', {
      query: expr,
      ...(time ? { time: String(time.getTime() / 1000) } : {}),
    });
    return data.result;
  }

  async queryRange(expr: string, seconds: number, stepSeconds = 5): Promise<MatrixSeries[]> {
    const end = Date.now() / 1000;
    const data = await this.#get<{ result: MatrixSeries[] }>('/api/v1/query_range', {
      query: expr,
      start: String(end - seconds),
      end: String(end),
      step: String(stepSeconds),
    });
    return data.result;
  }

  async targets(
    job: string,
  ): Promise<{ scrapeUrl: string; health: string; labels: Record<string, string> }[]> {
    const data = await this.#get<{
      activeTargets: {
        scrapePool: string;
        scrapeUrl: string;
        health: string;
        labels: Record<string, string>;
      }[];
    }>('/api/v1/targets', { state: 'active' });
    return data.activeTargets.filter((t) => t.scrapePool === job);
  }
}

/**
 * The behaviour flags of the Prometheus service in docker-compose.yml (remote write, alert
 * restoring, ...), so that the local stack runs Prometheus exactly as Compose does.
 */
export function composePrometheusFlags(): string[] {
  return composeServiceFlags('prometheus', [
    '--config.file',
    '--storage.tsdb.path',
    '--storage.tsdb.retention.time',
    '--web.external-url',
    // The local stack asks for no login (it listens on 127.0.0.1 only).
    '--web.config.file',
  ]);
}

/** The real Prometheus on 127.0.0.1, restartable on its TSDB. */
export class RunningPrometheus extends RestartableProcess {
  readonly url: string;
  readonly client: PrometheusClient;
  readonly configFile: string;
  readonly #removeFiles: () => Promise<void>;

  constructor(binary: string, args: string[], url: string, configFile: string, remove: () => Promise<void>) {
    super('prometheus', binary, args, `${url}/-/ready`);
    this.url = url;
    this.client = new PrometheusClient(url);
    this.configFile = configFile;
    this.#removeFiles = remove;
  }

  /** Stops the process and removes its files (unless they live in a directory its caller owns). */
  override async stop(): Promise<void> {
    await super.stop();
    await this.#removeFiles();
  }
}

export async function startPrometheus(
  binary: string,
  addresses: Omit<LocalAddresses, 'prometheus'>,
  options: { port?: number; dir?: string } = {},
): Promise<RunningPrometheus> {
  const listenPort = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const dir = await workDir('prometheus', options.dir);
  const configFile = join(dir.path, 'prometheus.yml');
  const source = await readFile(repoPath('prometheus/prometheus.yml'), 'utf8');
  await writeFile(
    configFile,
    localPrometheusConfig(source, { ...addresses, prometheus: `127.0.0.1:${listenPort}` }),
  );
  const prometheus = new RunningPrometheus(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${listenPort}`,
      `--web.external-url=${url}`,
      ...composePrometheusFlags(),
      '--storage.tsdb.retention.time=1d',
    ],
    url,
    configFile,
    dir.remove,
  );
  return startInDir(prometheus, dir);
}
