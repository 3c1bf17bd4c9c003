// deploy/kubernetes/generated is made from prometheus/rules, alertmanager/alertmanager.yml and the
// alert templates (make k8s-manifests): what is committed must be what they generate today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generatedFiles, parseMatcher, RULE_FILES, ruleGroups } from '../../deploy/kubernetes/manifests.ts';
import { readYaml, repoPath } from '../support/repo.ts';

describe('deploy/kubernetes/generated', () => {
  const files = generatedFiles(undefined);

  it.for(Object.keys(files))('%s is in sync with its source (make k8s-manifests)', (path) => {
    expect(readFileSync(repoPath(path), 'utf8')).toBe(files[path]);
  });

  it('holds every group of prometheus/rules/*.yml, and nothing else', () => {
    const rule = parse(files['deploy/kubernetes/generated/prometheusrule.yaml'] as string) as {
      spec: { groups: unknown[] };
    };
    const sources = RULE_FILES.flatMap(
      (file) => readYaml<{ groups: unknown[] }>(`prometheus/rules/${file}`).groups,
    );
    expect(sources.length).toBeGreaterThan(1);
    expect(rule.spec.groups).toEqual(sources);
    expect(ruleGroups()).toEqual(sources);
  });

  it('writes YAML that YAML 1.1 readers (PyYAML, and the tools built on it) take: no plain `=` value', () => {
    const yamlFiles = Object.entries(files).filter(([path]) => path.endsWith('.yaml'));
    expect(yamlFiles.length).toBeGreaterThan(0);
    for (const [path, text] of yamlFiles) expect(text, path).not.toMatch(/:\s+=\s*$/m);
    expect(files['deploy/kubernetes/generated/alertmanagerconfig.yaml']).toContain('matchType: "="');
  });

  it('renders the templates with the GRAFANA_URL it is given', () => {
    const email = 'deploy/kubernetes/generated/alertmanager-templates/email.tmpl';
    expect(files[email]).toContain('{{ define "fos.grafana" }}http://127.0.0.1:3000{{ end }}');
    expect(generatedFiles('https://grafana.example.com')[email]).toContain(
      '{{ define "fos.grafana" }}https://grafana.example.com{{ end }}',
    );
  });
});

describe('parseMatcher', () => {
  it.for([
    ['alertname = "Watchdog"', { name: 'alertname', matchType: '=', value: 'Watchdog' }],
    ['severity!="warning"', { name: 'severity', matchType: '!=', value: 'warning' }],
    ['job =~ "web.*"', { name: 'job', matchType: '=~', value: 'web.*' }],
  ] as const)('reads %s', ([text, matcher]) => {
    expect(parseMatcher(text)).toEqual(matcher);
  });

  it('names a matcher it cannot read', () => {
    expect(() => parseMatcher('alertname=Watchdog')).toThrow('cannot read the matcher "alertname=Watchdog"');
  });
});
