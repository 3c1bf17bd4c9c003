import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import type { Summary } from '@fos/request-generator/report';
import { type RunningAlertmanager, startAlertmanager } from './alertmanager.ts';
import { Maildev } from './maildev.ts';
import { freePort, ManagedProcess, RestartableProcess } from './process.ts';
import { type RunningPrometheus, startPrometheus } from './prometheus.ts';
import { pinnedTool } from './tools.ts';
import {
  type RunningJaeger,
  type RunningVictoriaLogs,
  startJaeger,
  startVictoriaLogs,
} from './traces-and-logs.ts';
import { workDir } from './workdir.ts';

const WEBAPP_SERVER = repoPath('services/webapp/src/server.ts');
const GENERATOR_CLI = repoPath('services/request-generator/src/cli.ts');
const TELEX_INTEGRATION_SERVER = repoPath('services/telex-integration/src/server.ts');
const PROFILE_COLLECTOR_SERVER = repoPath('services/profile-collector/src/server.ts');

export interface StackOptions {
  /** How many webapp instances (default 1). */
  webapps?: number;
  /** Generator flags for traffic from the start; false for none (default: the steady scenario). */
  generator?: string[] | false;
  webappEnv?: Record<string, string>;
  /** Settings of the profile collector over the stack's (e.g. STORE_MAX_PROFILES). */
  profileCollectorEnv?: Record<string, string>;
  /** Where alert emails link Grafana (default: compose's); '' for a stack without Grafana. */
  grafanaUrl?: string;
  /** Fixed ports (default: free ones the kernel picks). */
  ports?: {
    prometheus?: number;
    alertmanager?: number;
    /** The second Alertmanager of the pair. */
    alertmanager2?: number;
    maildev?: number;
    webapps?: number[];
    telexIntegration?: number;
    profileCollector?: number;
  };
  /** Chat settings for Alertmanager, as .env gives them (SLACK_WEBHOOK_URL_FILE, TELEX_WEBHOOK_URL, ...). */
  chatEnv?: Record<string, string>;
  /** Host names the Telex integration may post reports to (default 127.0.0.1: stand-ins in tests). */
  telexReturnUrlHosts?: string;
  /** Keep the data directory (Prometheus' TSDB, mails, checkpoints) when the stack stops. */
  keepData?: boolean;
  /** The folder of Prometheus' targets files (default prometheus/targets). */
  targetsDir?: string;
  /**
   * Also mail every alert as Compose without Grafana does (GRAFANA_URL empty, STACK=compose): a
   * third Alertmanager, outside the pair, mailing a maildev of its own (`withoutGrafana`).
   */
  mailWithoutGrafanaToo?: boolean;
}

/** A webapp server: restartable on its checkpoint file, as the fault and end-to-end tests need. */
export class Webapp extends RestartableProcess {
  readonly port: number;
  readonly host: string;
  #removeFiles: () => Promise<void> = async () => {};

  /** `launcher`: a command the server runs under, e.g. ['taskset', '-c', '1'] to pin it to a core. */
  constructor(name: string, port: number, env: Record<string, string>, launcher: string[] = []) {
    const host = env.HOST ?? '127.0.0.1';
    const [command, ...args] = [...launcher, process.execPath, WEBAPP_SERVER];
    super(name, command as string, args, `http://${host}:${port}/ready`, {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    });
    this.port = port;
    this.host = host;
  }

  /**
   * A started webapp on a free port of 127.0.0.1 (or env.HOST and env.PORT: an address in a network
   * namespace the launcher enters), with a checkpoint file in a temp dir that stop() removes.
   */
  static async launch(env: Record<string, string> = {}, launcher: string[] = []): Promise<Webapp> {
    const dir = await workDir('webapp');
    const webapp = new Webapp(
      'webapp',
      env.PORT ? Number(env.PORT) : await freePort(),
      { COUNTER_CHECKPOINT_PATH: join(dir.path, 'counter.json'), ...env },
      launcher,
    );
    webapp.#removeFiles = dir.remove;
    await webapp.start(20_000);
    return webapp;
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`) and removes the files it launched with. */
  override async stop(graceMs?: number): Promise<void> {
    await super.stop(graceMs);
    await this.#removeFiles();
  }

  get url(): string {
    return `http://${this.target}`;
  }

  get target(): string {
    return `${this.host}:${this.port}`;
  }
}

export class Generator {
  readonly process: ManagedProcess;
  /** `json`: progress and summary as JSON lines (for tests), else the lines a person reads. */
  constructor(target: string, args: readonly string[], { json = true } = {}) {
    this.process = new ManagedProcess('generator', process.execPath, [
      GENERATOR_CLI,
      '--target',
      target,
      '--report-every',
      '10',
      ...(json ? ['--json'] : []),
      ...args,
    ]);
  }

  /** Stops it (SIGTERM: in-flight requests finish) and returns its JSON summary. */
  async finish(): Promise<{ exitCode: number | null; summary: Summary }> {
    await this.process.stop(15_000);
    const exitCode = await this.process.exited;
    const last = this.process.log
      .trim()
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('{'));
    if (!last) throw new Error(`the generator printed no summary:\n${this.process.log}`);
    return { exitCode, summary: JSON.parse(last) as Summary };
  }
}

/**
 * The whole stack on 127.0.0.1, on free ports unless given: webapps, the generator, Prometheus and Alertmanager
 * (the real binaries, with the repository's config files, only addresses changed) and maildev.
 */
export class Stack {
  readonly webapps: Webapp[];
  readonly maildev: Maildev;
  readonly prometheus: RunningPrometheus;
  /** The highly available pair, clustered by gossip as in Compose. */
  readonly alertmanagers: RunningAlertmanager[];
  readonly telexIntegration: ManagedProcess;
  readonly telexIntegrationUrl: string;
  /** Takes the profile of an instance a CPU or heap alert is about (services/profile-collector). */
  readonly profileCollector: ManagedProcess;
  readonly profileCollectorUrl: string;
  /** The token the webapps' profilers ask for and the collector sends (the stack's password in Compose). */
  readonly profilerTokenFile: string;
  /** Traces (Jaeger v2) and logs (VictoriaLogs): the services send theirs there, as in Compose. */
  readonly jaeger: RunningJaeger;
  readonly victoriaLogs: RunningVictoriaLogs;
  readonly generators: Generator[] = [];
  /** With `mailWithoutGrafanaToo`: the Alertmanager that mails as Compose without Grafana, and its maildev. */
  withoutGrafana?: { alertmanager: RunningAlertmanager; maildev: Maildev };
  /** Everything the stack writes lives here: TSDB, Alertmanager config and data, mails, checkpoints. */
  readonly dataDir: string;
  readonly #keepData: boolean;

  private constructor(
    webapps: Webapp[],
    maildev: Maildev,
    prometheus: RunningPrometheus,
    alertmanagers: RunningAlertmanager[],
    telexIntegration: { process: ManagedProcess; url: string },
    profiles: { process: ManagedProcess; url: string; tokenFile: string },
    tracesAndLogs: { jaeger: RunningJaeger; victoriaLogs: RunningVictoriaLogs },
    dataDir: string,
    keepData: boolean,
  ) {
    this.jaeger = tracesAndLogs.jaeger;
    this.victoriaLogs = tracesAndLogs.victoriaLogs;
    this.telexIntegration = telexIntegration.process;
    this.telexIntegrationUrl = telexIntegration.url;
    this.profileCollector = profiles.process;
    this.profileCollectorUrl = profiles.url;
    this.profilerTokenFile = profiles.tokenFile;
    this.webapps = webapps;
    this.maildev = maildev;
    this.prometheus = prometheus;
    this.alertmanagers = alertmanagers;
    this.dataDir = dataDir;
    this.#keepData = keepData;
  }

  static async start(options: StackOptions = {}): Promise<Stack> {
    const prometheusBinary = pinnedTool('prometheus');
    const alertmanagerBinary = pinnedTool('alertmanager');
    const jaegerBinary = pinnedTool('jaeger');
    const victoriaLogsBinary = pinnedTool('victoria-logs');
    if (!prometheusBinary || !alertmanagerBinary || !jaegerBinary || !victoriaLogsBinary) {
      throw new Error(
        'the stack needs Prometheus, Alertmanager, Jaeger and VictoriaLogs at the versions docker-compose.yml pins: install Go so that scripts/ensure-tool.sh can build them, or set PROMETHEUS and ALERTMANAGER',
      );
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'fos-stack-'));
    const ports = options.ports ?? {};
    const grafanaUrl = options.grafanaUrl ?? 'http://127.0.0.1:3000';
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const maildev = await Maildev.create({ webPort: ports.maildev, dir: dataDir });
      await maildev.start();
      started.push(maildev);
      const [jaeger, victoriaLogs] = await Promise.all([
        startJaeger(jaegerBinary, { dir: dataDir }),
        startVictoriaLogs(victoriaLogsBinary, { dir: dataDir }),
      ]);
      started.push(jaeger, victoriaLogs);
      const telemetryEnv = {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: jaeger.otlpTracesUrl,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: victoriaLogs.otlpLogsUrl,
      };
      // The stack's credential, as Compose's secrets/stack_password: the profilers ask for it.
      const profilerTokenFile = join(dataDir, 'profiler-token');
      await writeFile(profilerTokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
      const collectorPort = ports.profileCollector ?? (await freePort());
      const collectorUrl = `http://127.0.0.1:${collectorPort}`;

      const webapps = await Promise.all(
        Array.from({ length: options.webapps ?? 1 }, async (_, i) => {
          const webapp = new Webapp(`webapp-${i + 1}`, ports.webapps?.[i] ?? (await freePort()), {
            COUNTER_CHECKPOINT_PATH: join(dataDir, `counter-${i + 1}.json`),
            PROFILER_TOKEN_FILE: profilerTokenFile,
            ...telemetryEnv,
            ...options.webappEnv,
          });
          await webapp.start(20_000);
          started.push(webapp);
          return webapp;
        }),
      );

      const clusterPorts = [await freePort(), await freePort()];
      const alertmanagers = await Promise.all(
        [ports.alertmanager, ports.alertmanager2].map(async (port, i) => {
          const alertmanager = await startAlertmanager(
            alertmanagerBinary,
            maildev.smtpPort,
            {
              GRAFANA_URL: grafanaUrl,
              JAEGER_URL: jaeger.queryUrl,
              VICTORIALOGS_URL: victoriaLogs.url,
              PROFILES_URL: collectorUrl,
              STACK: 'local',
              ...options.chatEnv,
            },
            {
              port,
              dir: dataDir,
              name: `alertmanager-${i + 1}`,
              cluster: { port: clusterPorts[i] as number, peerPorts: clusterPorts.filter((_, j) => j !== i) },
            },
          );
          started.push(alertmanager);
          return alertmanager;
        }),
      );
      let withoutGrafana: Stack['withoutGrafana'];
      if (options.mailWithoutGrafanaToo) {
        const mail = await Maildev.create({ dir: dataDir });
        await mail.start();
        started.push(mail);
        const alertmanager = await startAlertmanager(
          alertmanagerBinary,
          mail.smtpPort,
          {
            GRAFANA_URL: '',
            JAEGER_URL: jaeger.queryUrl,
            VICTORIALOGS_URL: victoriaLogs.url,
            PROFILES_URL: collectorUrl,
            STACK: 'compose',
          },
          { dir: dataDir, name: 'alertmanager-without-grafana' },
        );
        started.push(alertmanager);
        withoutGrafana = { alertmanager, maildev: mail };
      }
      const telexPort = ports.telexIntegration ?? (await freePort());
      const prometheus = await startPrometheus(
        prometheusBinary,
        {
          webappTargets: webapps.map((w) => w.target),
          alertmanagers: [...alertmanagers, ...(withoutGrafana ? [withoutGrafana.alertmanager] : [])].map(
            (a) => new URL(a.url).host,
          ),
          telexIntegration: `127.0.0.1:${telexPort}`,
          profileCollector: `127.0.0.1:${collectorPort}`,
          jaeger: jaeger.metricsTarget,
          victorialogs: new URL(victoriaLogs.url).host,
          targetsDir: options.targetsDir,
        },
        { port: ports.prometheus, dir: dataDir },
      );
      started.push(prometheus);
      const telexUrl = `http://127.0.0.1:${telexPort}`;
      const telexIntegration = new ManagedProcess(
        'telex-integration',
        process.execPath,
        [TELEX_INTEGRATION_SERVER],
        {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(telexPort),
          PROMETHEUS_URL: prometheus.url,
          ALERTMANAGER_URLS: alertmanagers.map((a) => a.url).join(','),
          ...telemetryEnv,
          TELEX_RETURN_URL_HOSTS: options.telexReturnUrlHosts ?? '127.0.0.1',
          GRAFANA_URL: grafanaUrl,
          JAEGER_URL: jaeger.queryUrl,
          VICTORIALOGS_URL: victoriaLogs.url,
          PROFILES_URL: collectorUrl,
        },
      );
      started.push(telexIntegration);
      const profileCollector = new ManagedProcess(
        'profile-collector',
        process.execPath,
        [PROFILE_COLLECTOR_SERVER],
        {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(collectorPort),
          PROMETHEUS_URL: prometheus.url,
          PROFILER_TOKEN_FILE: profilerTokenFile,
          PROFILE_DIR: join(dataDir, 'profiles'),
          ...telemetryEnv,
          ...options.profileCollectorEnv,
        },
      );
      started.push(profileCollector);
      await Promise.all([
        telexIntegration.waitReady(`${telexUrl}/ready`, 20_000),
        profileCollector.waitReady(`${collectorUrl}/ready`, 20_000),
      ]);

      const stack = new Stack(
        webapps,
        maildev,
        prometheus,
        alertmanagers,
        { process: telexIntegration, url: telexUrl },
        { process: profileCollector, url: collectorUrl, tokenFile: profilerTokenFile },
        { jaeger, victoriaLogs },
        dataDir,
        options.keepData ?? false,
      );
      stack.withoutGrafana = withoutGrafana;
      if (options.generator !== false) stack.startGenerator(options.generator ?? []);
      return stack;
    } catch (error) {
      for (const part of started.reverse()) await part.stop();
      if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A generator process against the first webapp (flags as on the command line). */
  startGenerator(
    args: readonly string[],
    { target = this.webapps[0]?.url ?? '', json = true } = {},
  ): Generator {
    // Its requests' traces go to Jaeger, where the webapp's spans join them.
    const generator = new Generator(target, ['--traces-endpoint', this.jaeger.otlpTracesUrl, ...args], {
      json,
    });
    this.generators.push(generator);
    return generator;
  }

  /** The first Alertmanager of the pair: the one the UI URL names. */
  get alertmanager(): RunningAlertmanager {
    return this.alertmanagers[0] as RunningAlertmanager;
  }

  /** Every process's output, for a failing test. */
  logs(): string {
    const section = (name: string, log: string) => `----- ${name} -----\n${log.slice(-20_000)}\n`;
    return [
      ...this.webapps.map((w) => section(w.name, w.log)),
      ...this.generators.map((g, i) => section(`generator-${i + 1}`, g.process.log)),
      section('prometheus', this.prometheus.log),
      ...this.alertmanagers.map((a) => section(a.name, a.log)),
      ...(this.withoutGrafana
        ? [section(this.withoutGrafana.alertmanager.name, this.withoutGrafana.alertmanager.log)]
        : []),
      section('telex-integration', this.telexIntegration.log),
      section('profile-collector', this.profileCollector.log),
      section('jaeger', this.jaeger.log),
      section('victorialogs', this.victoriaLogs.log),
      section('maildev', this.maildev.log),
    ].join('');
  }

  /** Stops every process it started, whatever state each is in, and removes its data unless kept. */
  async stop(): Promise<void> {
    await Promise.all(this.generators.map((g) => g.process.stop(15_000)));
    await Promise.all(this.webapps.map((w) => w.stop()));
    await Promise.all([this.telexIntegration.stop(), this.profileCollector.stop()]);
    await this.prometheus.stop();
    await Promise.all(this.alertmanagers.map((a) => a.stop()));
    await this.withoutGrafana?.alertmanager.stop();
    await Promise.all([this.jaeger.stop(), this.victoriaLogs.stop()]);
    await this.maildev.stop();
    await this.withoutGrafana?.maildev.stop();
    if (!this.#keepData) await rm(this.dataDir, { recursive: true, force: true });
  }
}
