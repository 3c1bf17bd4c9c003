// deploy/kubernetes on a real API server (make k8s-test): etcd, kube-apiserver, kubectl and the
// Prometheus Operator at the versions docker-compose.yml pins (x-kubernetes, x-etcd,
// x-prometheus-operator), built from their Go modules. What kube-prometheus-stack would do is done by
// hand: a Prometheus and an Alertmanager resource with its default selectors, and the alert
// templates in the Alertmanager's config Secret (its alertmanager.templateFiles).

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readYaml, repoPath } from '@fos/repo/paths';
import { run } from '@fos/stack/exec';
import { ControlPlane } from '@fos/stack/kubernetes';
import { Maildev } from '@fos/stack/maildev';
import { PodNetwork } from '@fos/stack/netns';
import { freePort, ManagedProcess, waitFor } from '@fos/stack/process';
import { PrometheusClient } from '@fos/stack/prometheus';
import { Webapp } from '@fos/stack/stack';
import { IN_CI, pinnedTool } from '@fos/stack/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { RELEASE_LABEL, ruleGroups, SMTP_SECRET } from '../../deploy/kubernetes/manifests.ts';

const NAMESPACE = 'fastify-observability';
const MONITORING = 'monitoring';
/** Where the test puts a service of a user's own. */
const OWN_NAMESPACE = 'shop';
const TEMPLATES_DIR = repoPath('deploy/kubernetes/generated/alertmanager-templates');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the tests reach into every kind's spec
  spec?: any;
}

let plane: ControlPlane;
/** What the operator generated (the describe that applies the build reads them). */
let prometheusConfig: {
  scrape_configs: {
    job_name: string;
    kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[];
    relabel_configs?: unknown[];
  }[];
  rule_files: string[];
};
let ruleFiles: Record<string, string>;
let built: K8sObject[];
let builtYaml: string;

const toYaml = (objects: K8sObject[]) => objects.map((object) => stringify(object)).join('---\n');
const find = (kind: string, name: string) => {
  const object = built.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`kubectl kustomize built no ${kind} ${name}`);
  return structuredClone(object);
};

beforeAll(async () => {
  plane = await ControlPlane.start();
  await plane.installCrds();
  builtYaml = await plane.kubectlOk(['kustomize', repoPath('deploy/kubernetes')]);
  built = parseAllDocuments(builtYaml).map((document) => document.toJS() as K8sObject);
}, 240_000);

afterAll(async () => {
  await plane?.stop();
}, 60_000);

describe('kubectl kustomize deploy/kubernetes', () => {
  it('builds the stack: workloads, monitoring objects and dashboards, in one namespace', () => {
    const names = built.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const dashboards = readdirSync(repoPath('grafana/dashboards')).map(
      (file) => `ConfigMap/grafana-dashboard-${file.replace(/\.json$/, '')}`,
    );
    expect(names).toEqual(
      [
        'AlertmanagerConfig/fastify-observability-stack',
        'Deployment/request-generator',
        'Deployment/telex-integration',
        'Deployment/webapp',
        `Namespace/${NAMESPACE}`,
        'PodDisruptionBudget/webapp',
        'PrometheusRule/fastify-observability-stack',
        'Service/telex-integration',
        'Service/webapp',
        'ServiceMonitor/services',
        ...dashboards,
      ].sort(),
    );
    for (const object of built.filter((o) => o.kind !== 'Namespace'))
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(NAMESPACE);
  });

  it('puts every dashboard of grafana/dashboards in a ConfigMap for the Grafana sidecar', () => {
    for (const file of readdirSync(repoPath('grafana/dashboards'))) {
      const configMap = find('ConfigMap', `grafana-dashboard-${file.replace(/\.json$/, '')}`) as K8sObject & {
        data: Record<string, string>;
      };
      expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
      expect(configMap.data[file]).toBe(readFileSync(repoPath(`grafana/dashboards/${file}`), 'utf8'));
    }
  });

  it("labels what kube-prometheus-stack's default selectors pick up with release", () => {
    for (const [kind, name] of [
      ['ServiceMonitor', 'services'],
      ['PrometheusRule', 'fastify-observability-stack'],
      ['AlertmanagerConfig', 'fastify-observability-stack'],
    ] as const)
      expect(find(kind, name).metadata.labels, `${kind}/${name}`).toMatchObject(RELEASE_LABEL);
  });

  it('gives the webapp time to drain: preStop plus SHUTDOWN_GRACE_MS fit in the grace period', () => {
    const pod = find('Deployment', 'webapp').spec.template.spec;
    const container = pod.containers[0];
    const graceMs = Number(
      container.env.find((e: { name: string }) => e.name === 'SHUTDOWN_GRACE_MS')?.value ?? Number.NaN,
    );
    const preStopSeconds = container.lifecycle.preStop.sleep.seconds as number;
    expect(graceMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + graceMs / 1000);
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('runs the images docker-compose.yml builds', () => {
    const compose = readYaml<{ services: Record<string, { image: string }> }>('docker-compose.yml');
    for (const name of ['webapp', 'request-generator', 'telex-integration'])
      expect(find('Deployment', name).spec.template.spec.containers[0].image).toBe(
        compose.services[name]?.image,
      );
  });
});

describe('the API server', () => {
  beforeAll(async () => {
    await plane.kubectlOk(['create', 'namespace', NAMESPACE]);
  });

  it('accepts every object of the build (server-side dry run, strict field validation)', async () => {
    const result = await plane.apply(builtYaml, ['--dry-run=server', '--validate=strict']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(built.length);
  });

  it.for([
    {
      what: 'an unknown field',
      object: () => {
        const deployment = find('Deployment', 'webapp');
        deployment.spec.template.spec.containers[0].readinesProbe = {
          httpGet: { path: '/ready', port: 'http' },
        };
        return deployment;
      },
      error:
        /\.spec\.template\.spec\.containers\[name="webapp"\]\.readinesProbe: field not declared in schema/,
    },
    {
      what: 'a wrong type',
      object: () => {
        const monitor = find('ServiceMonitor', 'services');
        monitor.spec.endpoints[0].port = 3000;
        return monitor;
      },
      error: /\.spec\.endpoints\[0\]\.port: expected string, got .*3000/,
    },
    {
      what: 'a bad duration',
      object: () => {
        const rule = find('PrometheusRule', 'fastify-observability-stack');
        rule.spec.groups[0].rules[0].for = '10 seconds';
        return rule;
      },
      error: /spec\.groups\[0\]\.rules\[0\]\.for: Invalid value: "10 seconds"/,
    },
  ])('refuses $what', async ({ object, error }) => {
    const result = await plane.apply(toYaml([object()]), ['--dry-run=server', '--validate=strict']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(error);
  });
});

/** A Secret's key, base64-decoded and gunzipped when it ends in .gz. */
async function secretFile(namespace: string, name: string, key: string): Promise<string> {
  const secret = JSON.parse(
    await plane.kubectlOk(['get', 'secret', name, '-n', namespace, '-o', 'json']),
  ) as {
    data: Record<string, string>;
  };
  const value = secret.data[key];
  if (value === undefined) throw new Error(`secret ${namespace}/${name} has no ${key}`);
  const bytes = Buffer.from(value, 'base64');
  return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

describe('applied for real, with the Prometheus Operator reconciling it', () => {
  const smtpPassword = `k8s-test-${process.pid}`;
  let alertmanagerConfig: {
    route: { routes: { receiver: string; matchers?: string[]; routes?: unknown[] }[] };
    receivers: { name: string; email_configs?: Record<string, unknown>[] }[];
    inhibit_rules?: unknown[];
    templates?: string[];
  };
  let work: string;

  beforeAll(async () => {
    work = join(plane.dir, 'generated');
    mkdirSync(work, { recursive: true });
    const applied = await plane.apply(builtYaml);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await plane.kubectlOk([
      'create',
      'secret',
      'generic',
      SMTP_SECRET.name,
      '-n',
      NAMESPACE,
      `--from-literal=${SMTP_SECRET.key}=${smtpPassword}`,
    ]);
    await plane.kubectlOk(['create', 'namespace', MONITORING]);
    // The settings README tells kube-prometheus-stack users to give it.
    const values = readYaml<{
      prometheus: { prometheusSpec: Record<string, unknown> };
      alertmanager: { alertmanagerSpec: Record<string, unknown> };
    }>('deploy/kubernetes/kube-prometheus-stack-values.yaml');
    // kube-prometheus-stack's Alertmanager config Secret: its default config, and the templates
    // given as alertmanager.templateFiles (docs/kubernetes.md).
    const templates = Object.fromEntries(
      readdirSync(TEMPLATES_DIR).map((file) => [file, readFileSync(join(TEMPLATES_DIR, file), 'utf8')]),
    );
    const resources: K8sObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'alertmanager-main', namespace: MONITORING },
        stringData: {
          'alertmanager.yaml': stringify({
            route: { receiver: 'null', group_by: ['namespace'] },
            receivers: [{ name: 'null' }],
            templates: ['/etc/alertmanager/config/*.tmpl'],
          }),
          ...templates,
        },
      } as K8sObject,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'Alertmanager',
        metadata: { name: 'main', namespace: MONITORING },
        spec: {
          replicas: 1,
          alertmanagerConfigSelector: { matchLabels: RELEASE_LABEL },
          alertmanagerConfigNamespaceSelector: {},
          ...values.alertmanager.alertmanagerSpec,
        },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'Prometheus',
        metadata: { name: 'k8s', namespace: MONITORING },
        spec: {
          replicas: 1,
          ...values.prometheus.prometheusSpec,
          serviceMonitorSelector: { matchLabels: RELEASE_LABEL },
          serviceMonitorNamespaceSelector: {},
          ruleSelector: { matchLabels: RELEASE_LABEL },
          ruleNamespaceSelector: {},
          alerting: {
            alertmanagers: [{ namespace: MONITORING, name: 'alertmanager-operated', port: 'web' }],
          },
        },
      },
    ];
    const monitoring = await plane.apply(toYaml(resources));
    if (monitoring.code !== 0) throw new Error(monitoring.stderr);
    await plane.startOperator();

    try {
      prometheusConfig = parse(
        await waitFor(
          'the Prometheus configuration the operator generates',
          async () => {
            const config = await secretFile(MONITORING, 'prometheus-k8s', 'prometheus.yaml.gz');
            return config.includes(`serviceMonitor/${NAMESPACE}/services/0`) ? config : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 1000 },
        ),
      );
      ruleFiles = await waitFor(
        'the rule ConfigMap',
        async () => {
          const list = JSON.parse(
            await plane.kubectlOk([
              'get',
              'configmap',
              '-n',
              MONITORING,
              '-l',
              'prometheus-name=k8s',
              '-o',
              'json',
            ]),
          ) as { items: { data: Record<string, string> }[] };
          const files = Object.assign({}, ...list.items.map((item) => item.data)) as Record<string, string>;
          return Object.keys(files).some((name) => name.includes('fastify-observability-stack'))
            ? files
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      alertmanagerConfig = parse(
        await waitFor(
          'the Alertmanager configuration the operator generates',
          async () => {
            const config = await secretFile(
              MONITORING,
              'alertmanager-main-generated',
              'alertmanager.yaml.gz',
            );
            return config.includes('fastify-observability-stack') ? config : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 1000 },
        ),
      );
    } catch (error) {
      throw new Error(`${String(error)}\n${plane.logs}`);
    }
  }, 180_000);

  it('scrapes every labelled Service, in every namespace, through one ServiceMonitor, every 5 s', () => {
    const jobs = prometheusConfig.scrape_configs.map((job) => job.job_name).sort();
    expect(jobs).toEqual([`serviceMonitor/${NAMESPACE}/services/0`]);
    const services = prometheusConfig
      .scrape_configs[0] as (typeof prometheusConfig.scrape_configs)[number] & {
      kubernetes_sd_configs: Record<string, unknown>[];
    };
    expect(services).toMatchObject({ scrape_interval: '5s', metrics_path: '/metrics' });
    expect(services.kubernetes_sd_configs).toEqual([{ role: 'endpointslice' }]);
    // Services carrying the label; the job label is the Service's name, which the rules key on.
    const relabel = JSON.stringify(services.relabel_configs);
    expect(relabel).toContain('__meta_kubernetes_service_label_fastify_observability_stack_scrape');
    expect(relabel).toContain('"target_label":"job"');
  });

  it('loads every rule of prometheus/rules, unchanged', () => {
    const ours = Object.entries(ruleFiles).filter(([name]) => name.includes('fastify-observability-stack'));
    expect(ours).toHaveLength(1);
    const loaded = parse(ours[0]?.[1] as string) as { groups: unknown[] };
    expect(loaded.groups).toEqual(ruleGroups());
  });

  it('passes promtool check config and check rules at the pinned Prometheus', async () => {
    const promtool = pinnedTool('promtool') as string;
    const rulesDir = join(work, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    for (const [name, content] of Object.entries(ruleFiles)) writeFileSync(join(rulesDir, name), content);
    const config = { ...prometheusConfig, rule_files: [join(rulesDir, '*.yaml')] };
    writeFileSync(join(work, 'prometheus.yaml'), stringify(config));
    const checkConfig = await run(promtool, ['check', 'config', join(work, 'prometheus.yaml')]);
    expect(checkConfig.stdout + checkConfig.stderr, 'promtool check config').toMatch(/SUCCESS/);
    expect(checkConfig.code).toBe(0);
    const checkRules = await run(promtool, [
      'check',
      'rules',
      ...readdirSync(rulesDir).map((f) => join(rulesDir, f)),
    ]);
    expect(checkRules.code, checkRules.stdout + checkRules.stderr).toBe(0);
    const count = ruleGroups().flatMap((group) => (group as { rules: unknown[] }).rules).length;
    expect(checkRules.stdout).toContain(`SUCCESS: ${count} rules found`);
  });

  it('routes alerts to the email receiver, with the grouping and inhibition of alertmanager.yml', () => {
    const team = alertmanagerConfig.receivers.find((r) => r.name.endsWith('/team'));
    expect(team?.name).toBe(`${NAMESPACE}/fastify-observability-stack/team`);
    expect(team?.email_configs?.[0]).toMatchObject({
      to: 'oncall@example.com',
      smarthost: 'smtp.example.com:587',
      auth_password: smtpPassword,
      send_resolved: true,
      headers: { Subject: '{{ template "fos.email.subject" . }}' },
      html: '{{ template "fos.email.html" . }}',
    });
    const ours = alertmanagerConfig.route.routes.find((r) => r.receiver === team?.name);
    // No namespace matcher (alertmanagerConfigMatcherStrategy None): the rules aggregate by job, so
    // their alerts carry no namespace label.
    expect(ours).toMatchObject({
      group_by: ['alertname', 'job', 'severity'],
      group_wait: '5s',
      group_interval: '30s',
    });
    expect(ours?.matchers ?? []).toEqual([]);
    expect(JSON.stringify(ours?.routes)).toContain('Watchdog');
    expect(alertmanagerConfig.inhibit_rules).toHaveLength(2);
    expect(alertmanagerConfig.templates).toEqual(['/etc/alertmanager/config/*.tmpl']);
  });

  it('passes amtool check-config at the pinned Alertmanager, templates included', async () => {
    const amtool = pinnedTool('amtool') as string;
    const config = { ...alertmanagerConfig, templates: [join(TEMPLATES_DIR, '*.tmpl')] };
    writeFileSync(join(work, 'alertmanager.yaml'), stringify(config));
    const result = await run(amtool, ['check-config', join(work, 'alertmanager.yaml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/- \d+ templates/);
    expect(result.stdout).not.toMatch(/- 0 templates/);
  });

  it('reports a rule with bad PromQL as an InvalidConfiguration event on it', async () => {
    const bad: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'bad-promql', namespace: NAMESPACE, labels: RELEASE_LABEL },
      spec: {
        groups: [{ name: 'bad', rules: [{ alert: 'Broken', expr: 'sum(rate(http_requests_total[5m])' }] }],
      },
    };
    const applied = await plane.apply(toYaml([bad]));
    expect(applied.code, applied.stderr).toBe(0);
    const event = await waitFor(
      'the InvalidConfiguration event',
      async () => {
        const events = JSON.parse(
          await plane.kubectlOk([
            'get',
            'events',
            '-n',
            NAMESPACE,
            '--field-selector=involvedObject.name=bad-promql,reason=InvalidConfiguration',
            '-o',
            'json',
          ]),
        ) as { items: { type: string; message: string; involvedObject: { kind: string } }[] };
        return events.items[0];
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { kind: 'PrometheusRule' } });
    expect(event.message).toBe(
      'PrometheusRule bad-promql was rejected due to invalid configuration: invalid rule',
    );
  });
});

// Step 4: the Kubernetes path end to end without a kubelet. The "pods" are webapps in a network
// namespace of their own (EndpointSlices may not name loopback addresses); the EndpointSlices a
// controller would write are written here; Prometheus and Alertmanager run the configuration the
// operator generated, with what a pod would have mounted (the service account's token and CA, the
// rule files, the templates) at paths of this machine.
// The pods' network namespace needs root; elsewhere this part skips, saying so (under CI=true it fails).
const CAN_MAKE_PODS = IN_CI || process.getuid?.() === 0;
if (!CAN_MAKE_PODS)
  process.stderr.write('skipping the end-to-end part of k8s-test: a network namespace needs root\n');

describe.runIf(CAN_MAKE_PODS)(
  'the operator-generated configuration, run: an alert from Kubernetes service discovery reaches the inbox',
  () => {
    let pods: PodNetwork;
    const webapps: Webapp[] = [];
    let orders: Webapp;
    let maildev: Maildev;
    let alertmanager: ManagedProcess;
    let prometheus: ManagedProcess;
    let client: PrometheusClient;
    let alertmanagerAddress: string;
    let work: string;

    /** Points a kubernetes_sd_config at this API server, as in-cluster config would. */
    const withApiServer = (sd: Record<string, unknown>) => ({
      ...sd,
      api_server: plane.server,
      authorization: { credentials_file: plane.tokenFile },
      tls_config: { ca_file: plane.caFile },
    });

    const endpointSlice = (
      namespace: string,
      service: string,
      port: { name: string; port: number },
      ips: string[],
    ) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${service}-k8s-test`,
        namespace,
        labels: {
          'kubernetes.io/service-name': service,
          'endpointslice.kubernetes.io/managed-by': 'k8s-test',
        },
      },
      addressType: 'IPv4',
      ports: [{ ...port, protocol: 'TCP' }],
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    });

    beforeAll(async () => {
      work = join(plane.dir, 'run');
      mkdirSync(join(work, 'rules'), { recursive: true });
      pods = await PodNetwork.create(3);
      const [ordersIp, ...webappIps] = pods.podIps as [string, ...string[]];
      for (const ip of webappIps)
        webapps.push(await Webapp.launch({ HOST: ip, PORT: '3000' }, pods.launcher));
      // A service of the user's own in a namespace of its own, monitored by labelling its Service.
      orders = await Webapp.launch({ HOST: ordersIp, PORT: '3000' }, pods.launcher);
      await plane.kubectlOk(['create', 'namespace', OWN_NAMESPACE]);
      maildev = await Maildev.create();
      await maildev.start();

      // The SMTP settings, as a user sets them: an overlay patching the AlertmanagerConfig (docs/kubernetes.md).
      const overlay = join(work, 'overlay');
      mkdirSync(overlay);
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        stringify({
          resources: [relative(overlay, repoPath('deploy/kubernetes'))],
          patches: [
            {
              target: { kind: 'AlertmanagerConfig', name: 'fastify-observability-stack' },
              patch: stringify([
                {
                  op: 'replace',
                  path: '/spec/receivers/0/emailConfigs/0/smarthost',
                  value: `127.0.0.1:${maildev.smtpPort}`,
                },
                { op: 'replace', path: '/spec/receivers/0/emailConfigs/0/requireTLS', value: false },
              ]),
            },
          ],
        }),
      );
      const applied = await plane.apply(await plane.kubectlOk(['kustomize', overlay]));
      if (applied.code !== 0) throw new Error(applied.stderr);
      const alertmanagerYaml = await waitFor(
        'the regenerated Alertmanager configuration',
        async () => {
          const config = await secretFile(MONITORING, 'alertmanager-main-generated', 'alertmanager.yaml.gz');
          return config.includes(`127.0.0.1:${maildev.smtpPort}`) ? config : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      writeFileSync(
        join(work, 'alertmanager.yaml'),
        stringify({ ...parse(alertmanagerYaml), templates: [join(TEMPLATES_DIR, '*.tmpl')] }),
      );
      alertmanagerAddress = `${pods.hostIp}:${await freePort()}`;
      alertmanager = new ManagedProcess('alertmanager', pinnedTool('alertmanager') as string, [
        `--config.file=${join(work, 'alertmanager.yaml')}`,
        `--storage.path=${join(work, 'alertmanager-data')}`,
        `--web.listen-address=${alertmanagerAddress}`,
        '--cluster.listen-address=',
      ]);
      await alertmanager.waitReady(`http://${alertmanagerAddress}/-/ready`);

      // Prometheus scrapes itself through a ServiceMonitor, as kube-prometheus-stack's does: the
      // InstanceDown email reads its dial failures.
      const prometheusPort = await freePort();
      const selfMonitor: K8sObject = {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'prometheus-self', namespace: MONITORING, labels: RELEASE_LABEL },
        spec: {
          selector: { matchLabels: { 'operated-prometheus': 'true' } },
          endpoints: [{ port: 'web', interval: '5s' }],
        },
      };
      const ownService = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'orders',
          namespace: OWN_NAMESPACE,
          labels: { 'fastify-observability-stack/scrape': 'true' },
        },
        spec: { ports: [{ name: 'http', port: 3000 }] },
      };
      // What the EndpointSlice controller would write for the webapp pods, the user's pod, the
      // Alertmanager pod and the Prometheus pod.
      const slices = [
        selfMonitor,
        endpointSlice(MONITORING, 'prometheus-operated', { name: 'web', port: prometheusPort }, [
          pods.hostIp,
        ]),
        endpointSlice(
          NAMESPACE,
          'webapp',
          { name: 'http', port: 3000 },
          webapps.map((w) => w.host),
        ),
        ownService,
        endpointSlice(OWN_NAMESPACE, 'orders', { name: 'http', port: 3000 }, [orders.host]),
        endpointSlice(
          MONITORING,
          'alertmanager-operated',
          { name: 'web', port: Number(alertmanagerAddress.split(':')[1]) },
          [pods.hostIp],
        ),
      ];
      const sliced = await plane.apply(toYaml(slices as unknown as K8sObject[]));
      if (sliced.code !== 0) throw new Error(sliced.stderr);

      for (const [name, content] of Object.entries(ruleFiles))
        writeFileSync(join(work, 'rules', name), content);
      // The config reloader of the Prometheus pod fills in $(POD_NAME) and $(SHARD) (its environment).
      const podEnv: Record<string, string> = { POD_NAME: 'prometheus-k8s-0', SHARD: '0' };
      const generated = await waitFor(
        'the Prometheus configuration with the self-scrape',
        async () => {
          const text = await secretFile(MONITORING, 'prometheus-k8s', 'prometheus.yaml.gz');
          return text.includes('serviceMonitor/monitoring/prometheus-self/0') ? text : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      const expanded = generated.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => {
        const value = podEnv[name];
        if (value === undefined)
          throw new Error(`the generated configuration uses $(${name}), which no pod sets here`);
        return value;
      });
      const config = parse(expanded) as {
        global: Record<string, unknown>;
        scrape_configs: { kubernetes_sd_configs?: Record<string, unknown>[] }[];
        alerting: { alertmanagers: { kubernetes_sd_configs?: Record<string, unknown>[] }[] };
      };
      const runnable = {
        ...config,
        rule_files: [join(work, 'rules', '*.yaml')],
        scrape_configs: config.scrape_configs.map((job) => ({
          ...job,
          kubernetes_sd_configs: job.kubernetes_sd_configs?.map(withApiServer),
        })),
        alerting: {
          ...config.alerting,
          alertmanagers: config.alerting.alertmanagers.map((am) => ({
            ...am,
            kubernetes_sd_configs: am.kubernetes_sd_configs?.map(withApiServer),
          })),
        },
      };
      writeFileSync(join(work, 'prometheus.yaml'), stringify(runnable));
      const prometheusUrl = `http://${pods.hostIp}:${prometheusPort}`;
      prometheus = new ManagedProcess('prometheus', pinnedTool('prometheus') as string, [
        `--config.file=${join(work, 'prometheus.yaml')}`,
        `--storage.tsdb.path=${join(work, 'prometheus-data')}`,
        `--web.listen-address=${pods.hostIp}:${prometheusPort}`,
        `--web.external-url=${prometheusUrl}`,
      ]);
      await prometheus.waitReady(`${prometheusUrl}/-/ready`);
      client = new PrometheusClient(prometheusUrl);
    }, 240_000);

    afterAll(async () => {
      await prometheus?.stop();
      await alertmanager?.stop();
      for (const webapp of webapps) await webapp.stop();
      await orders?.stop();
      await maildev?.stop();
      await pods?.remove();
    }, 60_000);

    it('discovers both webapp pods through the API server and evaluates the rules on them', async () => {
      const up = await waitFor(
        'both webapp pods up, with job="webapp"',
        async () => {
          for (const webapp of webapps) await fetch(`${webapp.url}/ep_one`).then((r) => r.arrayBuffer());
          const samples = await client.query('up{job="webapp"} == 1');
          return samples.length === 2 ? samples : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      ).catch(async (error) => {
        const targets = await (await fetch(`${client.url}/api/v1/targets?state=any`)).text();
        throw new Error(
          `${String(error)}\ntargets: ${targets.slice(0, 6000)}\n${prometheus.log.slice(-3000)}`,
        );
      });
      expect(up.map((sample) => sample.metric.instance).sort()).toEqual(webapps.map((w) => w.target).sort());
      expect(up[0]?.metric).toMatchObject({ namespace: NAMESPACE, service: 'webapp' });
      await waitFor(
        'a recording rule over the pods',
        async () => {
          const rate = await client.query('job:http_requests:rate1m{job="webapp"}');
          return rate.length === 1 ? rate : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      const alertmanagers = await waitFor(
        'the Alertmanager discovered',
        async () => {
          const response = await fetch(`${client.url}/api/v1/alertmanagers`);
          const body = (await response.json()) as { data: { activeAlertmanagers: { url: string }[] } };
          return body.data.activeAlertmanagers.length > 0 ? body.data.activeAlertmanagers : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      expect(alertmanagers[0]?.url).toContain(pods.hostIp);
    });

    it('fires InstanceDown when a pod dies, and the email arrives through the AlertmanagerConfig receiver', async () => {
      const victim = webapps[1] as Webapp;
      const killedAt = Date.now();
      victim.process?.signal('SIGKILL');
      const mail = await maildev
        .waitForEmail(
          'the InstanceDown email',
          (m) => m.subject.includes('InstanceDown') && m.subject.includes(victim.target),
          90_000,
        )
        .catch(async (error) => {
          const alerts = await (await fetch(`${client.url}/api/v1/alerts`)).text();
          const received = await (await fetch(`http://${alertmanagerAddress}/api/v2/alerts`)).text();
          throw new Error(
            `${String(error)}\nPrometheus alerts: ${alerts}\nAlertmanager alerts: ${received}\n${alertmanager.log.slice(-3000)}`,
          );
        });
      const seconds = (Date.parse(mail.time) - killedAt) / 1000;
      process.stdout.write(`kubernetes path: pod killed to InstanceDown email ${seconds.toFixed(1)} s\n`);
      expect(mail.subject).toBe(
        `[FIRING:1] InstanceDown (critical) on webapp: webapp instance ${victim.target} is down`,
      );
      expect(mail.to).toEqual(['oncall@example.com']);
      expect(mail.text).toContain('http://127.0.0.1:3000/d/fos-runbooks/alert-runbooks?viewPanel=1');
      // The scrape error names the ServiceMonitor's scrape pool, whose link lists this target's error.
      const poolLink = `${client.url}/api/v1/targets?scrapePool=serviceMonitor/${NAMESPACE}/services/0&state=active`;
      expect(mail.text).toContain(`connection refused; every target's last error: ${poolLink}`);
      expect(JSON.stringify(await (await fetch(poolLink)).json())).toContain(victim.target);
      const alerts = (await (await fetch(`http://${alertmanagerAddress}/api/v2/alerts/groups`)).json()) as {
        receiver: { name: string };
        labels: Record<string, string>;
      }[];
      const group = alerts.find((g) => g.labels.alertname === 'InstanceDown');
      expect(group?.receiver.name).toBe(`${NAMESPACE}/fastify-observability-stack/team`);
      // The budget of prometheus/prometheus.yml (scrape 5 s + evaluation 5 s + for 10 s + group_wait 5 s).
      expect(seconds).toBeLessThan(45);
    }, 150_000);

    it("scrapes a user's own labelled Service in another namespace, and mails its InstanceDown", async () => {
      await waitFor(
        'orders up, with job="orders"',
        async () => {
          const samples = await client.query('up{job="orders", namespace="shop"} == 1');
          return samples.length === 1 ? samples : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      orders.process?.signal('SIGKILL');
      const mail = await maildev.waitForEmail(
        'the InstanceDown email for orders',
        (m) =>
          m.subject ===
          `[FIRING:1] InstanceDown (critical) on orders: orders instance ${orders.target} is down`,
        90_000,
      );
      expect(mail.text).toContain('connection refused');
      expect(mail.text).toContain('service-overview?var-service=orders');
    }, 150_000);
  },
);
