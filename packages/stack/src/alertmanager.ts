import { join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import { composeServiceFlags } from './compose-file.ts';
import { run } from './exec.ts';
import { freePort, RestartableProcess } from './process.ts';
import { authorization, type Login } from './prometheus.ts';
import { startInDir, type WorkDir, workDir } from './workdir.ts';

/**
 * Renders alertmanager/ with render-config.sh, exactly as the container entrypoint does, into
 * `parent/alertmanager-config` (or a temp dir of its own: `remove()` deletes it).
 */
export async function renderAlertmanagerConfig(
  env: Record<string, string>,
  parent?: string,
): Promise<{ dir: string; code: number; stderr: string; remove: WorkDir['remove'] }> {
  const out = await workDir('alertmanager-config', parent);
  const result = await run('/bin/sh', [repoPath('alertmanager/render-config.sh')], {
    env: { PATH: process.env.PATH, OUT_DIR: out.path, ...env },
  });
  return { dir: out.path, code: result.code, stderr: result.stderr, remove: out.remove };
}

/** The behaviour flags of the alertmanager service in docker-compose.yml, so that both stacks run it alike. */
export function composeAlertmanagerFlags(): string[] {
  return composeServiceFlags('alertmanager', [
    '--config.file',
    '--storage.path',
    '--web.external-url',
    '--cluster.listen-address',
    '--cluster.peer',
    // The local stack asks for no login (it listens on 127.0.0.1 only).
    '--web.config.file',
  ]);
}

export interface AlertmanagerOptions {
  port?: number;
  dir?: string;
  /** A name of its own when several run (its data directory and log section). */
  name?: string;
  /** Gossip with peers, as the Compose pair does: this instance's cluster port and the peers' ones. */
  cluster?: { port: number; peerPorts: number[] };
}

/** A real Alertmanager on 127.0.0.1 that can be killed and started again on the same data. */
export class RunningAlertmanager extends RestartableProcess {
  readonly url: string;
  readonly configDir: string;
  readonly #removeFiles: () => Promise<void>;

  constructor(
    name: string,
    binary: string,
    args: string[],
    url: string,
    configDir: string,
    remove: () => Promise<void>,
  ) {
    super(name, binary, args, `${url}/-/ready`);
    this.url = url;
    this.configDir = configDir;
    this.#removeFiles = remove;
  }

  /** Stops the process and removes its files (unless they live in a directory its caller owns). */
  override async stop(): Promise<void> {
    await super.stop();
    await this.#removeFiles();
  }
}

/** Starts the real Alertmanager on 127.0.0.1 with the repository's config, mailing `smtpPort`. */
export async function startAlertmanager(
  binary: string,
  smtpPort: number,
  extraEnv: Record<string, string> = {},
  options: AlertmanagerOptions = {},
): Promise<RunningAlertmanager> {
  const name = options.name ?? 'alertmanager';
  const dir = await workDir(name, options.dir);
  const rendered = await renderAlertmanagerConfig(
    {
      SMTP_SMARTHOST: `127.0.0.1:${smtpPort}`,
      SMTP_AUTH_PASSWORD_FILE: repoPath('alertmanager/empty-secret'),
      ...extraEnv,
    },
    dir.path,
  );
  if (rendered.code !== 0) {
    await dir.remove();
    throw new Error(`render-config.sh failed: ${rendered.stderr}`);
  }
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const cluster = options.cluster
    ? [
        `--cluster.listen-address=127.0.0.1:${options.cluster.port}`,
        ...options.cluster.peerPorts.map((peer) => `--cluster.peer=127.0.0.1:${peer}`),
      ]
    : // A single node: no gossip port to bind or peers to wait for.
      ['--cluster.listen-address='];
  const alertmanager = new RunningAlertmanager(
    name,
    binary,
    [
      `--config.file=${join(rendered.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      ...composeAlertmanagerFlags(),
      ...cluster,
    ],
    url,
    rendered.dir,
    dir.remove,
  );
  return startInDir(alertmanager, dir);
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** Posts `alerts` to the Alertmanager, with the stack's login where it asks for one. */
export async function postAlerts(
  alertmanagerUrl: string,
  alerts: PostedAlert[],
  login?: Login,
): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(login) },
    body: JSON.stringify(alerts),
  });
  if (!response.ok) throw new Error(`POST /api/v2/alerts: ${response.status} ${await response.text()}`);
}
