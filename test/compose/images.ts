import { existsSync } from 'node:fs';
import { copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoPath } from '@fos/repo/paths';
import { run } from '@fos/stack/exec';
import { pinnedTool, type Tool } from '@fos/stack/tools';
import { readYaml } from '../support/repo.ts';

// Debian with wget: busybox's wget answers the healthchecks in the official Prometheus images.
const BASE_IMAGE = 'fos-compose-test/debian:bookworm-wget';
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const DIGEST_LABEL = 'fos.stand-in.digest';

async function docker(args: string[], timeoutMs = 600_000): Promise<string> {
  const result = await run('docker', args, { timeoutMs });
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed:\n${result.stderr.slice(-4000)}`);
  return result.stdout;
}

async function imageExists(image: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', image], { timeoutMs: 30_000 })).code === 0;
}

/** The digest label of a stand-in built here; '' for any other image, or none. */
async function standInDigest(image: string): Promise<string> {
  const result = await run(
    'docker',
    ['image', 'inspect', '--format', `{{index .Config.Labels "${DIGEST_LABEL}"}}`, image],
    { timeoutMs: 30_000 },
  );
  return result.code === 0 ? result.stdout.trim().replace('<no value>', '') : '';
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
    const strap = await run(
      'debootstrap',
      ['--variant=minbase', '--include=wget', 'bookworm', rootfs, DEBIAN_MIRROR],
      { timeoutMs: 600_000 },
    );
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

/** A build context: test/compose/images/<name>/Dockerfile and `files` (name in the context → source). */
async function standInContext(name: string, files: Record<string, string>): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), `fos-${name}-image-`));
  await copyFile(repoPath(`test/compose/images/${name}/Dockerfile`), join(context, 'Dockerfile'));
  for (const [target, source] of Object.entries(files)) {
    await cp(source, join(context, target), { recursive: true, dereference: true });
  }
  return context;
}

/** A tool's binary at the pin (scripts/ensure-tool.sh): what the stand-in images carry. */
function pinned(tool: Tool): string {
  const binary = pinnedTool(tool);
  if (!binary) throw new Error(`no ${tool} at the pinned version for its stand-in image`);
  return binary;
}

/**
 * The example configuration the official image carries: ensure-tool.sh keeps it in ../share beside
 * a binary it built; a release tarball has it beside the binary.
 */
function exampleConfig(binary: string, file: string): string {
  const candidates = [join(dirname(dirname(binary)), 'share', file), join(dirname(binary), file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${file} not found beside ${binary} (looked in ${candidates.join(', ')})`);
  return found;
}

/** A Prometheus-project image: its server and command-line tool at the pin, and its example configuration. */
async function prometheusProjectContext(server: 'prometheus' | 'alertmanager', cli: Tool): Promise<string> {
  const binary = pinned(server);
  return standInContext(server, {
    [server]: binary,
    [cli]: pinned(cli),
    [`${server}.yml`]: exampleConfig(binary, `${server}.yml`),
  });
}

type StandInName = 'node' | 'prometheus' | 'alertmanager' | 'jaeger' | 'victorialogs';

const CONTEXTS: Record<StandInName, () => Promise<string>> = {
  // The pinned Node's official binary (scripts/ensure-node.sh --exact), npm, and the host's CA bundle.
  node: async () => {
    const nodeBin = await run(repoPath('scripts/ensure-node.sh'), ['--exact'], { timeoutMs: 300_000 });
    if (nodeBin.code !== 0) throw new Error(`ensure-node.sh --exact failed: ${nodeBin.stderr}`);
    const npmCli = (await run('sh', ['-c', 'readlink -f "$(command -v npm)"'])).stdout.trim();
    return standInContext('node', {
      node: join(nodeBin.stdout.trim(), 'node'),
      npm: dirname(dirname(npmCli)),
      'ca-certificates.crt': '/etc/ssl/certs/ca-certificates.crt',
    });
  },
  prometheus: () => prometheusProjectContext('prometheus', 'promtool'),
  alertmanager: () => prometheusProjectContext('alertmanager', 'amtool'),
  jaeger: () => standInContext('jaeger', { jaeger: pinned('jaeger') }),
  victorialogs: () => standInContext('victorialogs', { 'victoria-logs': pinned('victoria-logs') }),
};

/** A digest of a whole context: a stand-in is rebuilt when its Dockerfile or binaries change. */
async function contextDigest(context: string): Promise<string> {
  const result = await run('sh', ['-c', 'find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum'], {
    cwd: context,
    timeoutMs: 120_000,
  });
  if (result.code !== 0) throw new Error(`hashing ${context} failed: ${result.stderr}`);
  return result.stdout.slice(0, 16);
}

interface Compose {
  'x-node-build-args': { NODE_IMAGE: string };
  services: Record<string, { image?: string; build?: unknown; profiles?: string[] }>;
}

export interface StandIn {
  image: string;
  source: 'present' | 'pulled' | 'stand-in' | 'stand-in, cached';
}

/**
 * Every image the compose file needs that is not built from this repository: the Node base of our
 * Dockerfiles, Prometheus, Alertmanager, Jaeger and VictoriaLogs. A real image when one is present or can be pulled, as on
 * a user's machine; else a stand-in built here under the same name and tag, carrying the pinned
 * binaries (rebuilt when they change). Grafana (no stand-in) and profile-only services are left out.
 */
export async function ensureImages(log: (line: string) => void): Promise<StandIn[]> {
  const compose = readYaml<Compose>('docker-compose.yml');
  const wanted: [string, StandInName][] = [
    [compose['x-node-build-args'].NODE_IMAGE, 'node'],
    [compose.services.prometheus?.image as string, 'prometheus'],
    [compose.services.alertmanager?.image as string, 'alertmanager'],
    [compose.services.jaeger?.image as string, 'jaeger'],
    [compose.services.victorialogs?.image as string, 'victorialogs'],
  ];
  const results: StandIn[] = [];
  for (const [image, name] of wanted) {
    const builtHere = await standInDigest(image);
    if (!builtHere && (await imageExists(image))) {
      results.push({ image, source: 'present' });
      continue;
    }
    if (!builtHere && (await tryPull(image))) {
      results.push({ image, source: 'pulled' });
      continue;
    }
    const context = await CONTEXTS[name]();
    try {
      const digest = await contextDigest(context);
      if (digest === builtHere) {
        results.push({ image, source: 'stand-in, cached' });
        continue;
      }
      await ensureBaseImage(log);
      const started = Date.now();
      await docker([
        'build',
        '--quiet',
        '--build-arg',
        `BASE_IMAGE=${BASE_IMAGE}`,
        '--label',
        `${DIGEST_LABEL}=${digest}`,
        '-t',
        image,
        context,
      ]);
      log(`built stand-in ${image} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      results.push({ image, source: 'stand-in' });
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  }
  return results;
}

export async function imageSizeMb(image: string): Promise<number> {
  return Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).trim()) / 1024 / 1024;
}
