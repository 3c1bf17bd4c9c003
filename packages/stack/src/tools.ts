import { execFileSync } from 'node:child_process';
import { repoPath } from '@fos/repo/paths';
import { type Pinned, pinnedVersion, reportedVersion } from './versions.ts';

export const IN_CI = process.env.CI === 'true';

/** The external binaries the tests and `make up-local` run, each at the version docker-compose.yml pins. */
export type Tool =
  | 'prometheus'
  | 'promtool'
  | 'alertmanager'
  | 'amtool'
  | 'docker-compose'
  | 'etcd'
  | 'kube-apiserver'
  | 'kubectl'
  | 'prometheus-operator'
  | 'sloth'
  | 'jaeger'
  | 'victoria-logs'
  | 'pint'
  | 'kubeconform';

const PIN: Record<Tool, Pinned> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  alertmanager: 'alertmanager',
  amtool: 'alertmanager',
  'docker-compose': 'compose',
  etcd: 'etcd',
  'kube-apiserver': 'kubernetes',
  kubectl: 'kubernetes',
  'prometheus-operator': 'prometheus-operator',
  sloth: 'sloth',
  jaeger: 'jaeger',
  'victoria-logs': 'victoria-logs',
  pint: 'pint',
  kubeconform: 'kubeconform',
};

const VERSION_ARGS: Partial<Record<Tool, string[]>> = {
  'docker-compose': ['version'],
  kubectl: ['version', '--client'],
  sloth: ['version'],
  jaeger: ['version'],
  'victoria-logs': ['-version'],
  pint: ['version'],
  kubeconform: ['-v'],
};

/** How each tool tells its version: `prometheus --version`, `docker-compose version`, ... */
export function versionOf(tool: Tool, binary: string): string | undefined {
  return reportedVersion(binary, VERSION_ARGS[tool] ?? ['--version']);
}

export function pinOf(tool: Tool): string {
  return pinnedVersion(PIN[tool]);
}

const resolved = new Map<Tool, string | undefined>();

/**
 * The path of `tool` at its pinned version, from scripts/ensure-tool.sh (the tool's environment
 * variable, e.g. PROMETHEUS; else PATH at the pinned version; else built from its Go module into
 * .tools/). A binary that reports another version than the pin fails under CI=true and is used
 * with a warning elsewhere; a tool that cannot be had fails under CI=true and returns undefined
 * elsewhere, so the caller skips with a reason.
 */
export function pinnedTool(tool: Tool): string | undefined {
  if (resolved.has(tool)) return resolved.get(tool);
  let binary: string | undefined;
  try {
    binary = execFileSync(repoPath('scripts/ensure-tool.sh'), [tool], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    if (IN_CI) throw new Error(`${tool} ${pinOf(tool)}: scripts/ensure-tool.sh could not find or build it`);
    process.stderr.write(`skipping: ${tool} ${pinOf(tool)} not available (scripts/ensure-tool.sh ${tool})\n`);
  }
  if (binary) {
    const reported = versionOf(tool, binary);
    if (reported !== pinOf(tool)) {
      const message = `${binary} reports ${tool} ${reported ?? '(no version)'}, docker-compose.yml pins ${pinOf(tool)}`;
      if (IN_CI) throw new Error(message);
      process.stderr.write(`warning: ${message}\n`);
    }
  }
  resolved.set(tool, binary);
  return binary;
}
