// The closing line CI reads, from a real vitest run over files that pass, fail, skip, fail in a
// beforeAll hook and fail to load.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fos/stack/exec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../support/repo.ts';

const FIXTURES: Record<string, string> = {
  'mixed.test.ts': `
    it('passes', () => {});
    it('fails', () => { throw new Error('fails'); });
    it.skip('is skipped', () => {});`,
  'hook.test.ts': `
    describe('a suite whose beforeAll throws', () => {
      beforeAll(() => { throw new Error('hook failed'); });
      it('never runs', () => {});
      it('never runs either', () => {});
    });`,
  'broken.test.ts': `throw new Error('does not load');`,
};

describe('the summary reporter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'summary-reporter-'));
    for (const [name, source] of Object.entries(FIXTURES)) await writeFile(join(dir, name), source);
    // globals: the fixtures live outside the repository, where `import 'vitest'` would not resolve.
    const config = { test: { globals: true, reporters: [repoPath('test/support/summary-reporter.ts')] } };
    await writeFile(join(dir, 'vitest.config.mjs'), `export default ${JSON.stringify(config)};\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts a failed hook and a file that does not load as failures', async () => {
    const result = await run(
      process.execPath,
      [
        repoPath('node_modules/vitest/vitest.mjs'),
        'run',
        '--root',
        dir,
        '--config',
        join(dir, 'vitest.config.mjs'),
      ],
      { cwd: dir, env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } },
    );
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('tests: '));
    // passed: 1; failed: the failing test, the hook's suite, the broken file; skipped: it.skip and
    // the two tests the hook kept from running.
    expect(lines).toEqual(['tests: 1 passed, 3 failed, 3 skipped']);
  });
});
