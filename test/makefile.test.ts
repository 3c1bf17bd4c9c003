// The Makefile targets a newcomer types first, run in a scratch copy of the repository's Makefile.
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../harness/exec.ts';
import { repoPath } from './support/repo.ts';

describe('Makefile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'makefile-'));
    await copyFile(repoPath('Makefile'), join(dir, 'Makefile'));
    await copyFile(repoPath('.env.example'), join(dir, '.env.example'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const make = (...args: string[]) =>
    run('make', ['--no-print-directory', '-C', dir, ...args], { env: { PATH: process.env.PATH } });

  it('make load creates .env (random Grafana password) before it runs k6, as make up does', async () => {
    const dryRun = await make('-n', 'load', 'SCENARIO=spike');
    expect(dryRun.stdout).toMatch(/GRAFANA_ADMIN_PASSWORD=[\s\S]*run --rm k6 run .*\/scripts\/spike\.ts/);

    await make('.env');
    const env = await readFile(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^GRAFANA_ADMIN_PASSWORD=[A-Za-z0-9]{16,}$/m);
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
  });

  it('make load refuses an unknown scenario, naming it', async () => {
    await make('.env');
    const result = await make('load', 'SCENARIO=nope');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("SCENARIO must be smoke, load, spike or soak, got 'nope'");
  });

  it('make dev binds the webapp to 127.0.0.1', async () => {
    // -o install: the scratch copy has no package.json to install from.
    const dryRun = await make('-n', '-o', 'install', 'dev');
    const serverLine = dryRun.stdout
      .split('\n')
      .find((line) => line.includes('services/webapp/src/server.ts'));
    expect(serverLine).toMatch(/\bHOST=127\.0\.0\.1\b/);
  });
});
