// The README and docs/ hold true for a reader: every relative link leads somewhere, the README's
// layout table is the tree, and the README stays one screen.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, repoPath } from '../support/repo.ts';

/** The Markdown files a reader opens: tracked *.md, dependencies and generated folders aside. */
const MARKDOWN = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
  cwd: REPO,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(repoPath(file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));
}

/** Every [text](target) outside code, with the line it is on. */
function links(file: string): { target: string; line: number }[] {
  const text = readFileSync(repoPath(file), 'utf8');
  const found: { target: string; line: number }[] = [];
  let inCode = false;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('```')) inCode = !inCode;
    if (inCode) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g))
      found.push({ target: m[1] as string, line: i + 1 });
  });
  return found;
}

/** Why a relative link is broken, or undefined when it leads to a file (and heading) that exists. */
function brokenLink(from: string, target: string): string | undefined {
  if (/^[a-z]+:/i.test(target)) return undefined; // http(s), mailto: not ours to follow here
  const [path = '', fragment] = target.split('#');
  const file = path === '' ? from : relative(REPO, join(REPO, dirname(from), decodeURIComponent(path)));
  if (file.startsWith('..') || !existsSync(repoPath(file))) return `${file} does not exist`;
  if (fragment && file.endsWith('.md') && !anchors(file).has(fragment))
    return `${file} has no heading #${fragment}`;
  return undefined;
}

describe('the documentation', () => {
  it('reads the README and docs/', () => {
    expect(MARKDOWN).toEqual(expect.arrayContaining(['README.md', 'docs/testing.md', 'docs/runbooks.md']));
  });

  it.for(MARKDOWN)('%s: every relative link leads to a file and heading that exist', (file) => {
    const broken = links(file).flatMap(({ target, line }) => {
      const why = brokenLink(file, target);
      return why ? [`${file}:${line} (${target}): ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it('the link check finds a missing file and a missing heading', () => {
    expect(brokenLink('README.md', 'docs/nothing-here.md')).toMatch(/does not exist/);
    expect(brokenLink('README.md', 'docs/testing.md#no-such-heading')).toMatch(/no heading/);
    expect(brokenLink('docs/alerts.md', 'testing.md#faults')).toBeUndefined();
    expect(slug('Load tests (k6)')).toBe('load-tests-k6');
    expect(slug('The webapp (`services/webapp`)')).toBe('the-webapp-serviceswebapp');
  });

  it("the README's layout table names every top-level folder, and only folders that exist", () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    const rows = [...layout.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => (m[1] as string).replace(/\/$/, ''));
    const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((path) => path.includes('/') && !path.startsWith('.'))
      .map((path) => path.split('/')[0] as string);
    expect(rows.sort()).toEqual([...new Set(tracked)].sort());
    for (const row of rows) expect(statSync(repoPath(row)).isDirectory(), row).toBe(true);
  });

  it('keeps the README to one screen, with the two commands that set everything up', () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(100);
    expect(readme).toMatch(/^make up {2,}#/m);
    expect(readme).toMatch(/^make test {2,}#/m);
  });

  it('has a LICENSE that matches package.json', () => {
    const { license } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { license: string };
    expect(license).toBe('MIT');
    expect(readFileSync(repoPath('LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});
