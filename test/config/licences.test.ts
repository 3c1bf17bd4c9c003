// Nothing under the AGPL is built, installed or run by this project (not Grafana, Loki, Tempo,
// Mimir or k6): every npm package its lockfiles install and every Go module in the binaries
// scripts/ensure-tool.sh builds is checked here, from the licence each declares or ships.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pinnedTool, type Tool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/repo.ts';

const AGPL_ID = /\bAGPL\b|Affero/i;
const AGPL_TEXT = /GNU AFFERO GENERAL PUBLIC LICENSE/i;

interface LockPackage {
  license?: string | { type: string };
  link?: boolean;
}

/** Every package a lockfile installs (workspace links excluded), with the licence it declares. */
function lockfileLicences(lockfile: string): { name: string; license: string }[] {
  const { packages } = JSON.parse(readFileSync(repoPath(lockfile), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  return Object.entries(packages)
    .filter(([path, entry]) => path !== '' && !entry.link)
    .map(([path, entry]) => ({
      name: path,
      license: typeof entry.license === 'object' ? entry.license.type : (entry.license ?? ''),
    }));
}

/** The modules `go version -m` lists in a Go binary: the main one (as ensure-tool recorded it) and its deps. */
function goModules(binary: string): { path: string; version: string }[] {
  const info = execFileSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  const modules: { path: string; version: string }[] = [];
  for (const line of info.split('\n')) {
    const [, kind, path, version] = line.split('\t');
    if (!path || !version) continue;
    if (kind === 'dep') modules.push({ path, version });
    // `=>` replaces the dep before it: a module version in its place, or a directory of the main
    // module's own repository (the operator's ./pkg/...), which the main module's licence covers.
    if (kind === '=>') {
      modules.pop();
      if (!path.startsWith('./') && !path.startsWith('../')) modules.push({ path, version });
    }
    if (kind === 'mod' && version !== '(devel)' && !path.startsWith('fastify-observability-stack.local/'))
      modules.push({ path, version });
  }
  const recorded = join(dirname(dirname(binary)), 'main-module');
  if (existsSync(recorded)) {
    const [path, version] = readFileSync(recorded, 'utf8').trim().split(' ');
    if (path && version) modules.push({ path, version });
  }
  return modules;
}

/** The module cache's spelling of a path: capitals as `!` and the lower-case letter. */
const escapeModulePath = (path: string) => path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

const goModCache = () => execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();

/** The text of every licence file at the top of a module's directory (downloaded when missing). */
function moduleLicenceTexts(cache: string, path: string, version: string): string[] {
  let dir = join(cache, `${escapeModulePath(path)}@${version}`);
  if (!existsSync(dir)) {
    const downloaded = JSON.parse(
      execFileSync('go', ['mod', 'download', '-json', `${path}@${version}`], {
        encoding: 'utf8',
        env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off' },
      }),
    ) as { Dir?: string };
    dir = downloaded.Dir ?? dir;
  }
  // LICENSE, COPYING, NOTICE..., or a LICENSES/ folder of them (REUSE layout).
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => /^(licen[cs]e|copying|notice)/i.test(entry.name))
    .flatMap((entry) =>
      entry.isDirectory()
        ? readdirSync(join(dir, entry.name), { recursive: true, withFileTypes: true })
            .filter((file) => file.isFile())
            .map((file) => join(file.parentPath, file.name))
        : [join(dir, entry.name)],
    )
    .map((file) => readFileSync(file, 'utf8'));
}

describe('no AGPL in what the project installs or builds', () => {
  it.for(['package-lock.json', 'maildev/package-lock.json'])(
    'every npm package in %s declares a licence, none of them the AGPL',
    (lockfile) => {
      const packages = lockfileLicences(lockfile);
      expect(packages.length, 'packages in the lockfile').toBeGreaterThan(50);
      expect(packages.filter((p) => p.license === '').map((p) => p.name)).toEqual([]);
      expect(packages.filter((p) => AGPL_ID.test(p.license))).toEqual([]);
    },
  );

  const TOOLS: Tool[] = [
    'prometheus',
    'alertmanager',
    'docker-compose',
    'etcd',
    'kube-apiserver',
    'prometheus-operator',
    'sloth',
    'jaeger',
    'victoria-logs',
    'pint',
    'kubeconform',
  ];

  it.for(TOOLS)('every Go module built into %s ships a licence, none of them the AGPL', (tool, { skip }) => {
    const binary = pinnedTool(tool);
    if (!binary) return skip(`${tool} is not available here`);
    const cache = goModCache();
    const modules = goModules(binary);
    // The tool's modules were read (kubeconform, the smallest, has 6).
    expect(modules.length, 'modules in the binary').toBeGreaterThan(2);
    const unlicensed: string[] = [];
    const agpl: string[] = [];
    for (const { path, version } of modules) {
      const texts = moduleLicenceTexts(cache, path, version);
      if (texts.length === 0) unlicensed.push(`${path}@${version}`);
      if (texts.some((text) => AGPL_TEXT.test(text))) agpl.push(`${path}@${version}`);
    }
    expect(agpl).toEqual([]);
    expect(unlicensed).toEqual([]);
  });

  it('the checks see the AGPL where it is', () => {
    expect(AGPL_ID.test('AGPL-3.0-only')).toBe(true);
    expect(AGPL_ID.test('(MIT OR AGPL-3.0-or-later)')).toBe(true);
    expect(AGPL_ID.test('MIT OR Apache-2.0')).toBe(false);
    expect(AGPL_TEXT.test('                    GNU AFFERO GENERAL PUBLIC LICENSE\n')).toBe(true);
    expect(AGPL_TEXT.test('GNU GENERAL PUBLIC LICENSE')).toBe(false);
  });
});
