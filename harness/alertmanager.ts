import { join } from 'node:path';
import { run } from './exec.ts';
import { repoPath } from './paths.ts';
import { freePort, ManagedProcess } from './process.ts';
import { type WorkDir, workDir } from './workdir.ts';

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

export interface RunningAlertmanager {
  url: string;
  configDir: string;
  process: ManagedProcess;
  /** Stops the process and removes its files (unless they live in a directory its caller owns). */
  stop(): Promise<void>;
}

/** Starts the real Alertmanager on 127.0.0.1 with the repository's config, mailing `smtpPort`. */
export async function startAlertmanager(
  binary: string,
  smtpPort: number,
  extraEnv: Record<string, string> = {},
  options: { port?: number; dir?: string } = {},
): Promise<RunningAlertmanager> {
  const dir = await workDir('alertmanager', options.dir);
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
  const process = new ManagedProcess('alertmanager', binary, [
    `--config.file=${join(rendered.dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    // A single node: no gossip port to bind or peers to wait for.
    '--cluster.listen-address=',
  ]);
  try {
    await process.waitReady(`${url}/-/ready`, 20_000);
  } catch (error) {
    await dir.remove();
    throw error;
  }
  const stop = async () => {
    await process.stop();
    await dir.remove();
  };
  return { url, configDir: rendered.dir, process, stop };
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export async function postAlerts(alertmanagerUrl: string, alerts: PostedAlert[]): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!response.ok) throw new Error(`POST /api/v2/alerts: ${response.status} ${await response.text()}`);
}
