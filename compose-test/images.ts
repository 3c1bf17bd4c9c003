import { copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../harness/exec.ts';
import { repoPath } from '../harness/paths.ts';
import { readYaml } from '../test/support/repo.ts';

const BASE_IMAGE = 'fos-compose-test/debian:bookworm';
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

async function docker(args: string[], timeoutMs = 600_000): Promise<string> {
  const result = await run('docker', args, { timeoutMs });
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed:\n${result.stderr.slice(-4000)}`);
  return result.stdout;
}

async function imageExists(image: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', image], { timeoutMs: 30_000 })).code === 0;
}

/** A real image when it can be pulled, as on a user's machine; false when no registry answers. */
async function tryPull(image: string): Promise<boolean> {
  return (
    (await run('docker', ['pull', '--quiet', image], { timeoutMs: 60_000 }).catch(() => ({ code: 1 })))
      .code === 0
  );
}

/** Debian bookworm from debootstrap --variant=minbase, imported as the base of every stand-in. */
async function ensureBaseImage(log: (line: string) => void): Promise<void> {
  if (await imageExists(BASE_IMAGE)) return;
  if ((await run('sh', ['-c', 'command -v debootstrap'])).code !== 0) {
    const install = await run('apt-get', ['install', '-y', '-qq', 'debootstrap'], { timeoutMs: 300_000 });
    if (install.code !== 0) throw new Error(`apt-get install debootstrap failed: ${install.stderr}`);
  }
  const rootfs = await mkdtemp(join(tmpdir(), 'fos-rootfs-'));
  const started = Date.now();
  try {
    const strap = await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, DEBIAN_MIRROR], {
      timeoutMs: 600_000,
    });
    if (strap.code !== 0)
      throw new Error(`debootstrap failed:\n${strap.stdout.slice(-4000)}${strap.stderr.slice(-2000)}`);
    // debootstrap leaves the downloaded packages behind: 100 MB no image needs.
    await run('sh', [
      '-c',
      `rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/*`,
    ]);
    const imported = await run('sh', ['-c', `tar -C "${rootfs}" -c . | docker import - ${BASE_IMAGE}`], {
      timeoutMs: 300_000,
    });
    if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
  log(`built ${BASE_IMAGE} with debootstrap in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The context of the Node stand-in: this machine's Node 24 binary, npm, and CA bundle. */
async function nodeContext(): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), 'fos-node-image-'));
  await copyFile(repoPath('compose-test/images/node/Dockerfile'), join(context, 'Dockerfile'));
  await copyFile(process.execPath, join(context, 'node'));
  const npmCli = (await run('sh', ['-c', 'readlink -f "$(command -v npm)"'])).stdout.trim();
  await cp(dirname(dirname(npmCli)), join(context, 'npm'), { recursive: true, dereference: true });
  await copyFile('/etc/ssl/certs/ca-certificates.crt', join(context, 'ca-certificates.crt'));
  return context;
}

async function buildStandIn(image: string, context: string): Promise<void> {
  await docker(['build', '--quiet', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', image, context]);
}

interface Compose {
  'x-node-build-args': { NODE_IMAGE: string };
  services: Record<string, { image?: string; build?: unknown; profiles?: string[] }>;
}

export interface StandIn {
  image: string;
  source: 'present' | 'pulled' | 'stand-in';
}

/**
 * Every image the compose file needs that is not built from this repository: the Node base of our
 * Dockerfiles, Prometheus and Alertmanager. Present or pulled when possible; else a stand-in built
 * here under the same name and tag. Grafana (no stand-in) and profile-only services are left out.
 */
export async function ensureImages(log: (line: string) => void): Promise<StandIn[]> {
  const compose = readYaml<Compose>('docker-compose.yml');
  const wanted: Record<string, () => Promise<string>> = {
    [compose['x-node-build-args'].NODE_IMAGE]: nodeContext,
    [compose.services.prometheus?.image as string]: async () => repoPath('compose-test/images/prometheus'),
    [compose.services.alertmanager?.image as string]: async () =>
      repoPath('compose-test/images/alertmanager'),
  };
  const results: StandIn[] = [];
  for (const [image, context] of Object.entries(wanted)) {
    if (await imageExists(image)) {
      results.push({ image, source: 'present' });
    } else if (await tryPull(image)) {
      results.push({ image, source: 'pulled' });
    } else {
      await ensureBaseImage(log);
      const started = Date.now();
      await buildStandIn(image, await context());
      log(`built stand-in ${image} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      results.push({ image, source: 'stand-in' });
    }
  }
  return results;
}

export async function imageSizeMb(image: string): Promise<number> {
  return Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).trim()) / 1024 / 1024;
}
