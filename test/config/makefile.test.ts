// The Makefile targets a newcomer types first, run in a scratch copy of the repository's Makefile.
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fos/stack/exec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoPath } from '../support/repo.ts';

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

  /** A PATH whose `docker` and `docker-compose` are stubs answering `version` as given (exit 1 when null). */
  async function stubbedPath(docker: string | null, dockerCompose: string | null): Promise<string> {
    const bin = await mkdtemp(join(tmpdir(), 'makefile-bin-'));
    const stub = async (name: string, answer: string | null) => {
      const body = answer === null ? 'exit 1' : `echo "${answer}"`;
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    };
    await stub('docker', docker);
    await stub('docker-compose', dockerCompose);
    return `${bin}:${process.env.PATH}`;
  }

  it('make up names what to install when Compose v2 is missing, before it creates anything', async () => {
    for (const [docker, dockerCompose] of [
      [null, null],
      [null, 'docker-compose version 1.29.2, build 5becea4c'],
    ] as const) {
      const result = await run('make', ['--no-print-directory', '-C', dir, 'up'], {
        env: { PATH: await stubbedPath(docker, dockerCompose) },
      });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('the Compose targets need Docker Compose v2 or later');
      // Debian has no docker-compose-plugin package: the way that works there is named.
      expect(result.stderr).not.toContain('apt-get install docker-compose-plugin');
      expect(result.stderr).toContain(
        'ln -sf "$(scripts/ensure-tool.sh docker-compose)" ~/.docker/cli-plugins/docker-compose',
      );
      expect(result.stderr).not.toContain('command not found');
      await expect(stat(join(dir, '.env')), '.env created before the check').rejects.toThrow();
    }
    const plugin = await run('make', ['--no-print-directory', '-C', dir, '-n', 'up'], {
      env: { PATH: await stubbedPath('Docker Compose version v5.6.0', null) },
    });
    // Compose reads .env (a bad port is named before the build trips on it), build, then check
    // .env in the built images, then start: nothing starts before the checks.
    expect(plugin.stdout).toMatch(
      /scripts\/check-env\.sh --before-build \.env docker compose\ndocker compose build\n[\s\S]*scripts\/check-env\.sh \.env docker compose\n[\s\S]*docker compose up -d \|\|/,
    );
    const standalone = await run('make', ['--no-print-directory', '-C', dir, '-n', 'up'], {
      env: { PATH: await stubbedPath(null, 'Docker Compose version v2.40.3') },
    });
    expect(standalone.stdout).toContain('scripts/check-env.sh .env docker-compose\n');
    expect(standalone.stdout).toContain('docker-compose up -d ||');
  });

  it('make up fills an empty GRAFANA_ADMIN_PASSWORD of an .env that exists', async () => {
    await writeFile(join(dir, '.env'), 'PROMETHEUS_PORT=9090\nGRAFANA_ADMIN_PASSWORD=\n');
    // The stub docker answers every command, so make up runs through; the password step comes first.
    await run('make', ['--no-print-directory', '-C', dir, 'up'], {
      env: { PATH: await stubbedPath('Docker Compose version v5.6.0', null) },
    });
    const env = await readFile(join(dir, '.env'), 'utf8');
    expect(env).toMatch(/^GRAFANA_ADMIN_PASSWORD=[A-Za-z0-9]{16,}$/m);
    expect(env).toMatch(/^PROMETHEUS_PORT=9090$/m);
  });

  it('make up creates the stack password once: letters and digits, 644 in a 700 secrets/, kept after', async () => {
    const docker = await stubbedPath('Docker Compose version v5.6.0', null);
    const up = () => run('make', ['--no-print-directory', '-C', dir, 'up'], { env: { PATH: docker } });
    const first = await up();
    expect(first.stdout).toContain('created secrets/stack_password: the stack password (user stack;');
    const file = join(dir, 'secrets', 'stack_password');
    const password = await readFile(file, 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9]{16,}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    const again = await up();
    expect(again.stdout).not.toContain('created secrets/stack_password');
    expect(await readFile(file, 'utf8')).toBe(password);
    // make load needs it too (k6 logs in to remote write).
    await rm(file);
    expect((await make('-n', 'load', 'SCENARIO=smoke')).stdout).toContain('stack_password');
  });

  it('make up, load and test-alert take the password file and the address from .env', async () => {
    await writeFile(
      join(dir, '.env'),
      'GRAFANA_ADMIN_PASSWORD=x\nPUBLISH_ADDRESS=192.168.1.10\nALERTMANAGER_PORT=9193\nSTACK_PASSWORD_FILE=./elsewhere/pw\n',
    );
    const up = await run('make', ['--no-print-directory', '-C', dir, 'up'], {
      env: { PATH: await stubbedPath('Docker Compose version v5.6.0', null) },
    });
    expect(up.stdout).toContain('created elsewhere/pw');
    expect(await readFile(join(dir, 'elsewhere', 'pw'), 'utf8')).toMatch(/^[A-Za-z0-9]{16,}$/);
    const testAlert = await make('-n', '-o', 'install', 'test-alert');
    expect(testAlert.stdout).toContain('test-alert.ts "http://192.168.1.10:9193" "./elsewhere/pw"');
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
  it('make scenario names what it needs: a scenario, and a webapp to send it to', async () => {
    const missing = await make('-o', 'install', 'scenario');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      'make scenario needs SCENARIO=steady, spike, errors, latency, budget-burn, cpu or leak',
    );

    const unknown = await make('-o', 'install', 'scenario', 'SCENARIO=smoke');
    expect(unknown.stderr).toContain(
      "SCENARIO must be steady, spike, errors, latency, budget-burn, cpu or leak, got 'smoke'",
    );

    const nobody = await make('-o', 'install', 'scenario', 'SCENARIO=spike', 'TARGET=http://127.0.0.1:1');
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain(
      'no webapp answers at http://127.0.0.1:1: start the stack (make up or make up-local), or set TARGET',
    );
  });

  it('make scenario targets the first port of WEBAPP_PORTS from .env, 8080 without one', async () => {
    const dryRun = () => make('-n', '-o', 'install', 'scenario', 'SCENARIO=spike');
    expect((await dryRun()).stdout).toContain('--target "http://127.0.0.1:8080" --scenario "spike"');
    await writeFile(join(dir, '.env'), 'WEBAPP_PORTS=9180-9189\n');
    expect((await dryRun()).stdout).toContain('--target "http://127.0.0.1:9180"');
  });
});
