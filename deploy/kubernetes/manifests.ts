// The Kubernetes objects generated from the stack's one source of each thing, so that nothing is
// written twice: the PrometheusRule from prometheus/rules/*.yml, the AlertmanagerConfig from
// alertmanager/alertmanager.yml, and the alert templates from alertmanager/templates (rendered by
// alertmanager/render-config.sh, as in Compose). generate.ts writes them; the tests check them in sync.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '@fos/repo/paths';
import { Document, parse, Scalar, visit } from 'yaml';

const OUT = 'deploy/kubernetes/generated';
const HEADER = (source: string) =>
  `# Generated from ${source} by deploy/kubernetes/generate.ts (make k8s-manifests): edit the source.\n`;

/** kube-prometheus-stack selects rules, monitors and Alertmanager configs by its release name. */
export const RELEASE_LABEL = { release: 'kube-prometheus-stack' };
/** The Secret (in the stack's namespace) holding the SMTP password, key `password`. */
export const SMTP_SECRET = { name: 'alertmanager-smtp', key: 'password' };

/**
 * YAML that YAML 1.1 readers take too: a plain `=` is YAML 1.1's "value" indicator, which PyYAML
 * (and the tools built on it) refuse, so a string `=` is written quoted.
 */
const toYaml = (value: unknown) => {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (node.value === '=') node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
};

export const RULE_FILES = readdirSync(join(REPO, 'prometheus/rules'))
  .filter((file) => file.endsWith('.yml'))
  .sort();

/** Every group of prometheus/rules/*.yml, in file order, unchanged. */
export function ruleGroups(): unknown[] {
  return RULE_FILES.flatMap(
    (file) =>
      (parse(readFileSync(join(REPO, 'prometheus/rules', file), 'utf8')) as { groups: unknown[] }).groups,
  );
}

function prometheusRule(): string {
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'fastify-observability-stack', labels: RELEASE_LABEL },
    spec: { groups: ruleGroups() },
  };
  return HEADER(RULE_FILES.map((file) => `prometheus/rules/${file}`).join(', ')) + toYaml(object);
}

interface Matcher {
  name: string;
  matchType: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** `alertname = "Watchdog"` (Alertmanager's matcher syntax) as the CRD's {name, matchType, value}. */
export function parseMatcher(text: string): Matcher {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (!match) throw new Error(`alertmanager.yml: cannot read the matcher ${JSON.stringify(text)}`);
  return { name: match[1] as string, matchType: match[2] as Matcher['matchType'], value: match[3] as string };
}

interface AlertmanagerYml {
  route: RouteYml;
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: {
    name: string;
    email_configs?: {
      to: string;
      send_resolved: boolean;
      headers: Record<string, string>;
      html: string;
      text: string;
    }[];
  }[];
}
interface RouteYml {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteYml[];
}

function route(yml: RouteYml): Record<string, unknown> {
  return {
    ...(yml.receiver && { receiver: yml.receiver }),
    ...(yml.matchers && { matchers: yml.matchers.map(parseMatcher) }),
    ...(yml.group_by && { groupBy: yml.group_by }),
    ...(yml.group_wait && { groupWait: yml.group_wait }),
    ...(yml.group_interval && { groupInterval: yml.group_interval }),
    ...(yml.repeat_interval && { repeatInterval: yml.repeat_interval }),
    ...(yml.routes && { routes: yml.routes.map(route) }),
  };
}

/**
 * The route, inhibition and receivers of alertmanager.yml. Its global SMTP settings are
 * placeholders filled by render-config.sh; here each email config carries them, with example
 * values to replace in an overlay (docs/kubernetes.md) and the password from the Secret SMTP_SECRET.
 */
export function alertmanagerConfigSpec(): Record<string, unknown> {
  const yml = parse(readFileSync(join(REPO, 'alertmanager/alertmanager.yml'), 'utf8')) as AlertmanagerYml;
  return {
    route: route(yml.route),
    inhibitRules: yml.inhibit_rules.map((rule) => ({
      sourceMatch: rule.source_matchers.map(parseMatcher),
      targetMatch: rule.target_matchers.map(parseMatcher),
      equal: rule.equal,
    })),
    receivers: yml.receivers.map((receiver) => ({
      name: receiver.name,
      ...(receiver.email_configs && {
        emailConfigs: receiver.email_configs.map((email) => ({
          to: 'oncall@example.com',
          from: 'alertmanager@example.com',
          smarthost: 'smtp.example.com:587',
          authUsername: 'alertmanager@example.com',
          authPassword: SMTP_SECRET,
          requireTLS: true,
          sendResolved: email.send_resolved,
          headers: Object.entries(email.headers).map(([key, value]) => ({ key, value })),
          html: email.html,
          text: email.text,
        })),
      }),
    })),
  };
}

function alertmanagerConfig(): string {
  const object = {
    apiVersion: 'monitoring.coreos.com/v1alpha1',
    kind: 'AlertmanagerConfig',
    metadata: { name: 'fastify-observability-stack', labels: RELEASE_LABEL },
    spec: alertmanagerConfigSpec(),
  };
  return HEADER('alertmanager/alertmanager.yml') + toYaml(object);
}

/**
 * alertmanager/templates/*.tmpl as render-config.sh renders them. The links in alerts point at
 * GRAFANA_URL: http://127.0.0.1:3000 by default, Grafana through `kubectl port-forward`.
 */
function alertTemplates(grafanaUrl: string | undefined): Record<string, string> {
  const out = mkdtempSync(join(tmpdir(), 'k8s-alert-templates-'));
  try {
    execFileSync('sh', [join(REPO, 'alertmanager/render-config.sh')], {
      env: {
        PATH: process.env.PATH,
        SRC_DIR: join(REPO, 'alertmanager'),
        OUT_DIR: out,
        STACK: 'kubernetes',
        ...(grafanaUrl !== undefined && { GRAFANA_URL: grafanaUrl }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const dir = join(out, 'templates');
    return Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((file) => [`${OUT}/alertmanager-templates/${file}`, readFileSync(join(dir, file), 'utf8')]),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Path (from the repository root) → content of every generated file. */
export function generatedFiles(grafanaUrl = process.env.GRAFANA_URL || undefined): Record<string, string> {
  return {
    [`${OUT}/prometheusrule.yaml`]: prometheusRule(),
    [`${OUT}/alertmanagerconfig.yaml`]: alertmanagerConfig(),
    ...alertTemplates(grafanaUrl),
  };
}
