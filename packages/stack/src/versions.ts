import { execFileSync } from 'node:child_process';
import { repoPath } from '@fos/repo/paths';

/**
 * What docker-compose.yml pins: image tags, NODE_IMAGE, the Compose CLI (x-compose-cli), and what
 * deploy/kubernetes is tested on (x-kubernetes, x-etcd, x-prometheus-operator), and the Sloth that
 * generates the SLO rules (x-sloth); Jaeger's and VictoriaLogs' image tags; the linters pint and
 * kubeconform (x-pint, x-kubeconform).
 */
export type Pinned =
  | 'prometheus'
  | 'alertmanager'
  | 'k6'
  | 'grafana'
  | 'node'
  | 'compose'
  | 'kubernetes'
  | 'etcd'
  | 'prometheus-operator'
  | 'sloth'
  | 'jaeger'
  | 'victoria-logs'
  | 'pint'
  | 'kubeconform';

const pins = new Map<Pinned, string>();

/** The x.y.z pinned for `name`, read by scripts/pin.sh: one reader of the pins for scripts and tests. */
export function pinnedVersion(name: Pinned): string {
  let version = pins.get(name);
  if (!version) {
    version = execFileSync(repoPath('scripts/pin.sh'), [name], { encoding: 'utf8' }).trim();
    pins.set(name, version);
  }
  return version;
}

/** The first x.y.z that `binary args…` prints about itself, or undefined when it prints none. */
export function reportedVersion(binary: string, args: readonly string[]): string | undefined {
  let output: string;
  try {
    output = execFileSync(binary, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
  return /\d+\.\d+\.\d+/.exec(output.split('\n').slice(0, 3).join('\n'))?.[0];
}
