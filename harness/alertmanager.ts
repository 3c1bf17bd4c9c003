import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.ts';
import { repoPath } from './paths.ts';
import { freePort, ManagedProcess } from './process.ts';

/** Renders alertmanager/ with render-config.sh, exactly as the container entrypoint does. */
export async function renderAlertmanagerConfig(
  env: Record<string, string>,
): Promise<{ dir: string; code: number; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'alertmanager-config-'));
  const result = await run('/bin/sh', [repoPath('alertmanager/render-config.sh')], {
    env: { PATH: process.env.PATH, OUT_DIR: dir, ...env },
  });
  return { dir, code: result.code, stderr: result.stderr };
}

export interface RunningAlertmanager {
  url: string;
  configDir: string;
  process: ManagedProcess;
}

/** Starts the real Alertmanager on 127.0.0.1 with the repository's config, mailing `smtpPort`. */
export async function startAlertmanager(
  binary: string,
  smtpPort: number,
  extraEnv: Record<string, string> = {},
) {
  const rendered = await renderAlertmanagerConfig({
    SMTP_SMARTHOST: `127.0.0.1:${smtpPort}`,
    SMTP_AUTH_PASSWORD_FILE: repoPath('alertmanager/no-password'),
    ...extraEnv,
  });
  if (rendered.code !== 0) throw new Error(`render-config.sh failed: ${rendered.stderr}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const storage = await mkdtemp(join(tmpdir(), 'alertmanager-data-'));
  const process = new ManagedProcess('alertmanager', binary, [
    `--config.file=${join(rendered.dir, 'alertmanager.yml')}`,
    `--storage.path=${storage}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    // A single node: no gossip port to bind or peers to wait for.
    '--cluster.listen-address=',
  ]);
  await process.waitReady(`${url}/-/ready`, 20_000);
  return { url, configDir: rendered.dir, process } satisfies RunningAlertmanager;
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
