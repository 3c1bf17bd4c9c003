import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { run } from '@fos/stack/exec';
import { waitFor } from '@fos/stack/process';
import { IN_CI } from '@fos/stack/tools';

const DOCKERD_LOG = '/tmp/fos-compose-test-dockerd.log';

/** The engine's version when one answers. */
async function engineVersion(): Promise<string | undefined> {
  const result = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 }).catch(
    () => undefined,
  );
  return result?.code === 0 ? result.stdout.trim() : undefined;
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
 * Makes sure a Docker engine answers, and returns its version: when none does and we are root,
 * installs Debian's docker.io and starts dockerd in the background. Returns undefined when that is
 * not possible outside CI, so the caller can skip; under CI=true it throws instead.
 */
export async function ensureDockerEngine(log: (line: string) => void): Promise<string | undefined> {
  const running = (await installed('docker')) ? await engineVersion() : undefined;
  if (running) return running;
  const root = process.getuid?.() === 0;
  if (!root) {
    if (IN_CI) throw new Error('no Docker engine answers and this is not root: cannot start one');
    log('skipping: no Docker engine answers (start Docker, or run as root to let the test start one)');
    return undefined;
  }
  if (!(await installed('dockerd'))) {
    log('installing docker.io');
    await aptInstall(['docker.io']);
  }
  log(`starting dockerd (log: ${DOCKERD_LOG})`);
  const out = openSync(DOCKERD_LOG, 'a');
  const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  dockerd.unref();
  return waitFor('the Docker engine', engineVersion, { timeoutMs: 90_000, intervalMs: 1000 });
}
