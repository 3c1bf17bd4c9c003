// Under `set -o pipefail` a pipeline into a reader that stops early (head, grep -q, grep -m) fails
// whenever the writer's next write meets the closed pipe: the writer dies of SIGPIPE and the
// pipeline with it. That is how `kubectl version --client | head -n 1` failed a CI run (59 times
// in 300 here). The scripts read the whole output instead.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO, repoPath } from '../support/repo.ts';

const EARLY_EXIT_READER = /\|\s*(head\b|grep\s+(-\w*[qm]\w*|--quiet|--max-count))/;

/** The repository's bash scripts that set pipefail, by path, with their text (each file read once). */
function pipefailScripts(): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const file of execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n')) {
    if (!file) continue;
    let text: string;
    try {
      text = readFileSync(repoPath(file), 'utf8');
    } catch {
      continue; // a directory (submodule) or unreadable: not a script
    }
    if (/^#!.*\bbash\b/.test(text) && text.includes('pipefail')) scripts.set(file, text);
  }
  return scripts;
}

describe('bash scripts with pipefail', () => {
  const scripts = pipefailScripts();

  it('finds the scripts (.ci/run and scripts/*.sh)', () => {
    expect([...scripts.keys()]).toEqual(
      expect.arrayContaining(['.ci/run', 'scripts/ensure-tool.sh', 'scripts/pin.sh']),
    );
  });

  it.for([...scripts.keys()])('%s pipes into no reader that stops early', (file) => {
    const offending = (scripts.get(file) ?? '')
      .split('\n')
      .map((line, index) => ({ line, number: index + 1 }))
      .filter(({ line }) => !/^\s*#/.test(line) && EARLY_EXIT_READER.test(line))
      .map(({ line, number }) => `${file}:${number}: ${line.trim()}`);
    expect(offending).toEqual([]);
  });

  it('the check catches the pipeline that failed CI', () => {
    expect(EARLY_EXIT_READER.test('version="$("$binary" version --client | head -n 1)"')).toBe(true);
    expect(EARLY_EXIT_READER.test("dpkg-query -W pkg | grep -q 'install ok installed'")).toBe(true);
    expect(EARLY_EXIT_READER.test('output="$("$@" 2>&1)"')).toBe(false);
  });
});
