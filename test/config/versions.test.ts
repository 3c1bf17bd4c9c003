// The tests run exactly the versions users run: every binary a test starts reports the version
// docker-compose.yml pins (pinnedTool also refuses a mismatch under CI=true before any test starts
// one), and no file carries a second copy of a pin.
import { readFileSync } from 'node:fs';
import { IN_CI, pinnedTool, pinOf, type Tool, versionOf } from '@fos/stack/tools';
import { type Pinned, pinnedVersion } from '@fos/stack/versions';
import { describe, expect, it } from 'vitest';
import { readYaml, repoPath } from '../support/repo.ts';

const TOOLS: Tool[] = [
  'prometheus',
  'promtool',
  'alertmanager',
  'amtool',
  'docker-compose',
  'etcd',
  'kube-apiserver',
  'kubectl',
  'prometheus-operator',
  'sloth',
  'jaeger',
  'victoria-logs',
  'pint',
  'kubeconform',
];

describe('the binaries the tests start are the pinned versions', () => {
  it.for(TOOLS)('%s', (tool, { skip }) => {
    const binary = pinnedTool(tool);
    if (!binary) return skip(`${tool} is not available here`);
    const reported = versionOf(tool, binary);
    if (reported !== pinOf(tool) && !IN_CI)
      return skip(`${binary} reports ${reported}, the pin is ${pinOf(tool)} (a failure under CI=true)`);
    expect(reported, binary).toBe(pinOf(tool));
  });

  it('node', ({ skip }) => {
    const pin = pinnedVersion('node');
    if (process.versions.node !== pin && !IN_CI)
      return skip(
        `Node ${process.versions.node} runs the tests, the pin is ${pin} (a failure under CI=true)`,
      );
    expect(process.versions.node).toBe(pin);
  });
});

describe('one place for versions', () => {
  interface Compose {
    'x-node-build-args': { NODE_IMAGE: string };
    services: Record<string, { image?: string }>;
  }
  const compose = readYaml<Compose>('docker-compose.yml');

  it('reads every pin from docker-compose.yml', () => {
    expect(compose.services.prometheus?.image).toBe(`prom/prometheus:v${pinnedVersion('prometheus')}`);
    expect(compose.services.alertmanager?.image).toBe(`prom/alertmanager:v${pinnedVersion('alertmanager')}`);
    expect(compose.services.k6?.image).toBe(`grafana/k6:${pinnedVersion('k6')}`);
    expect(compose.services.grafana?.image).toBe(`grafana/grafana:${pinnedVersion('grafana')}`);
    expect(compose['x-node-build-args'].NODE_IMAGE).toBe(`node:${pinnedVersion('node')}-bookworm-slim`);
    const extensions = readYaml<Record<string, string>>('docker-compose.yml');
    expect(extensions['x-compose-cli']).toBe(`v${pinnedVersion('compose')}`);
    expect(extensions['x-kubernetes']).toBe(`v${pinnedVersion('kubernetes')}`);
    expect(extensions['x-etcd']).toBe(`v${pinnedVersion('etcd')}`);
    expect(extensions['x-prometheus-operator']).toBe(`v${pinnedVersion('prometheus-operator')}`);
    expect(extensions['x-sloth']).toBe(`v${pinnedVersion('sloth')}`);
    expect(extensions['x-pint']).toBe(`v${pinnedVersion('pint')}`);
    expect(extensions['x-kubeconform']).toBe(`v${pinnedVersion('kubeconform')}`);
  });

  it.for(['services/Dockerfile', 'maildev/Dockerfile'])(
    '%s defaults to the pinned Node image',
    (dockerfile) => {
      const text = readFileSync(repoPath(dockerfile), 'utf8');
      expect(text).toContain(`ARG NODE_IMAGE=${compose['x-node-build-args'].NODE_IMAGE}`);
    },
  );

  it('lists the pins in docs/versions.md', () => {
    const readme = readFileSync(repoPath('docs/versions.md'), 'utf8');
    const names: Record<Pinned, string> = {
      prometheus: 'Prometheus',
      alertmanager: 'Alertmanager',
      k6: 'k6',
      grafana: 'Grafana',
      node: 'Node',
      compose: 'Docker Compose',
      kubernetes: 'Kubernetes',
      etcd: 'etcd',
      'prometheus-operator': 'Prometheus Operator',
      sloth: 'Sloth',
      jaeger: 'Jaeger',
      'victoria-logs': 'VictoriaLogs',
      pint: 'pint',
      kubeconform: 'kubeconform',
    };
    for (const [pinned, name] of Object.entries(names)) {
      expect(readme, name).toMatch(
        new RegExp(`^\\| ${name} \\| ${pinnedVersion(pinned as Pinned).replaceAll('.', '\\.')} \\|`, 'm'),
      );
    }
  });
});
