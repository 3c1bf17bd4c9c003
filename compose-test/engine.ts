import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { run } from '../harness/exec.ts';
import { waitFor } from '../harness/process.ts';
import { IN_CI } from '../harness/tools.ts';

const DOCKERD_LOG = '/tmp/fos-compose-test-dockerd.log';

async function engineAnswers(): Promise<boolean> {
  const result = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 }).catch(
    () => undefined,
  );
  return result?.code === 0;
}

async function aptInstall(packages: string[]): Promise<void> {
  const update = await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000 });
  if (update.code !== 0) throw new Error(`apt-get update failed: ${update.stderr}`);
  const install = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 600_000,
  });
  if (install.code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed: ${install.stderr}`);
}

async function installed(command: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${command}`])).code === 0;
}

/**
 * Makes sure a Docker engine answers: when none does and we are root, installs Debian's docker.io
 * (and docker-compose) and starts dockerd in the background. Returns false when that is not
 * possible outside CI, so the caller can skip; under CI=true it throws instead.
 */
export async function ensureDockerEngine(log: (line: string) => void): Promise<boolean> {
  if ((await installed('docker')) && (await engineAnswers())) return true;
  const root = process.getuid?.() === 0;
  if (!root) {
    if (IN_CI) throw new Error('no Docker engine answers and this is not root: cannot start one');
    log('skipping: no Docker engine answers (start Docker, or run as root to let the test start one)');
    return false;
  }
  const missing: string[] = [];
  if (!(await installed('dockerd'))) missing.push('docker.io');
  if (!(await installed('docker-compose'))) missing.push('docker-compose');
  if (missing.length > 0) {
    log(`installing ${missing.join(', ')}`);
    await aptInstall(missing);
  }
  log(`starting dockerd (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, 'a');
  const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  dockerd.unref();
  await waitFor('the Docker engine', async () => ((await engineAnswers()) ? true : undefined), {
    timeoutMs: 90_000,
    intervalMs: 1000,
  });
  return true;
}
