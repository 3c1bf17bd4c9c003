import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import { parse, stringify } from 'yaml';
import { composeServiceCommand } from './compose-file.ts';
import { freePort, RestartableProcess } from './process.ts';
import { startInDir, type WorkDir, workDir } from './workdir.ts';

/** A real Jaeger v2 on 127.0.0.1 with the repository's jaeger/config.yaml, only its addresses changed. */
export class RunningJaeger extends RestartableProcess {
  /** Where services send spans: OTLP over HTTP. */
  readonly otlpTracesUrl: string;
  /** The query API (/api/traces, /api/services), which Grafana's Jaeger datasource reads. */
  readonly queryUrl: string;
  /** host:port of its own metrics, for Prometheus. */
  readonly metricsTarget: string;
  readonly #dir: WorkDir;

  constructor(binary: string, configFile: string, ports: Record<string, number>, dir: WorkDir) {
    super('jaeger', binary, [`--config=${configFile}`], `http://127.0.0.1:${ports.health}/status`);
    this.otlpTracesUrl = `http://127.0.0.1:${ports.otlpHttp}/v1/traces`;
    this.queryUrl = `http://127.0.0.1:${ports.query}`;
    this.metricsTarget = `127.0.0.1:${ports.metrics}`;
    this.#dir = dir;
  }

  override async stop(graceMs?: number): Promise<void> {
    await super.stop(graceMs);
    await this.#dir.remove();
  }
}

interface JaegerConfig {
  service: {
    telemetry: {
      metrics: { readers: { pull: { exporter: { prometheus: { host: string; port: number } } } }[] };
    };
  };
  extensions: {
    healthcheckv2: { http: { endpoint: string } };
    jaeger_query: { http?: { endpoint: string }; grpc?: { endpoint: string } };
  };
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
}

/** Starts Jaeger on free ports of 127.0.0.1 (OTLP, query, health, metrics; its gRPC ports too). */
export async function startJaeger(binary: string, options: { dir?: string } = {}): Promise<RunningJaeger> {
  const dir = await workDir('jaeger', options.dir);
  const config = parse(await readFile(repoPath('jaeger/config.yaml'), 'utf8')) as JaegerConfig;
  const ports: Record<string, number> = {};
  for (const name of ['otlpGrpc', 'otlpHttp', 'query', 'queryGrpc', 'health', 'metrics'])
    ports[name] = await freePort();
  const at = (name: string) => `127.0.0.1:${ports[name]}`;
  config.receivers.otlp.protocols.grpc.endpoint = at('otlpGrpc');
  config.receivers.otlp.protocols.http.endpoint = at('otlpHttp');
  config.extensions.healthcheckv2.http.endpoint = at('health');
  config.extensions.jaeger_query.http = { endpoint: at('query') };
  config.extensions.jaeger_query.grpc = { endpoint: at('queryGrpc') };
  const reader = config.service.telemetry.metrics.readers[0];
  if (reader) reader.pull.exporter.prometheus = { host: '127.0.0.1', port: ports.metrics as number };
  const configFile = join(dir.path, 'config.yaml');
  await writeFile(configFile, stringify(config));
  const jaeger = new RunningJaeger(binary, configFile, ports, dir);
  return startInDir(jaeger, dir);
}

/** A real VictoriaLogs on 127.0.0.1, with the flags Compose gives it (retention, disk limit). */
export class RunningVictoriaLogs extends RestartableProcess {
  readonly url: string;
  /** Where services send log records: OTLP over HTTP. */
  readonly otlpLogsUrl: string;
  readonly #dir: WorkDir;

  constructor(binary: string, args: string[], url: string, dir: WorkDir) {
    super('victorialogs', binary, args, `${url}/health`);
    this.url = url;
    this.otlpLogsUrl = `${url}/insert/opentelemetry/v1/logs`;
    this.#dir = dir;
  }

  override async stop(graceMs?: number): Promise<void> {
    await super.stop(graceMs);
    await this.#dir.remove();
  }

  /** The log records matching a LogsQL query, newest last. */
  async query(logsql: string): Promise<Record<string, string>[]> {
    const response = await fetch(`${this.url}/select/logsql/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: logsql }),
    });
    if (!response.ok)
      throw new Error(`VictoriaLogs query ${logsql}: HTTP ${response.status} ${await response.text()}`);
    return (await response.text())
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, string>);
  }
}

export async function startVictoriaLogs(
  binary: string,
  options: { dir?: string } = {},
): Promise<RunningVictoriaLogs> {
  const dir = await workDir('victorialogs', options.dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs = new RunningVictoriaLogs(
    binary,
    [
      `-storageDataPath=${join(dir.path, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      ...composeVictoriaLogsFlags(),
    ],
    url,
    dir,
  );
  return startInDir(logs, dir);
}

/** VictoriaLogs' flags in docker-compose.yml (single dash), less its paths and address; `${VAR:-x}` as x. */
export function composeVictoriaLogsFlags(): string[] {
  return composeServiceCommand('victorialogs')
    .filter((flag) => !/^-(storageDataPath|httpListenAddr)=/.test(flag))
    .map((flag) => flag.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'));
}
