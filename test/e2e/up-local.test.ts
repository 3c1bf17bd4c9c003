// `make up-local` as a user drives it: fixed ports, the generator's lines, commands on stdin that
// stop and start the webapp, `make scenario` against it, and nothing left behind on quit.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { repoPath } from '@fos/repo/paths';
import { a2aCall, answerText, telexMessageSend } from '@fos/stack/a2a';
import { run } from '@fos/stack/exec';
import { freePort, waitFor } from '@fos/stack/process';
import { pinnedTool } from '@fos/stack/tools';
import { describe, expect, it } from 'vitest';

const binaries = pinnedTool('prometheus') && pinnedTool('alertmanager');

/** up-local with its ports moved to free ones (the defaults may be taken on a test machine). */
async function startUpLocal(ports?: Record<string, string>) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PROMETHEUS_PORT: String(await freePort()),
    ALERTMANAGER_PORT: String(await freePort()),
    ALERTMANAGER_2_PORT: String(await freePort()),
    MAILDEV_PORT: String(await freePort()),
    WEBAPP_PORTS: String(await freePort()),
    TELEX_INTEGRATION_PORT: String(await freePort()),
    ...ports,
  };
  delete env.GRAFANA_URL;
  for (const name of [
    'SLACK_WEBHOOK_URL_FILE',
    'DISCORD_WEBHOOK_URL_FILE',
    'TEAMS_WEBHOOK_URL_FILE',
    'TELEX_WEBHOOK_URL',
  ]) {
    delete env[name];
  }
  delete env.KEEP_DATA;
  const child = spawn(process.execPath, [repoPath('packages/stack/src/up-local.ts')], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const waitForOutput = (what: RegExp, timeoutMs = 60_000) =>
    waitFor(`up-local to print ${what}`, () => output.match(what) ?? undefined, { timeoutMs }).catch(
      (error) => {
        throw new Error(`${(error as Error).message}\n--- up-local said ---\n${output}`);
      },
    );
  const send = (line: string) => child.stdin.write(`${line}\n`);
  return { env, child, exited, waitForOutput, send, output: () => output };
}

const health = (url: string) =>
  fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );

describe.skipIf(!binaries)('make up-local', () => {
  it('runs at the ports set, shows the generator, restarts the webapp on command and cleans up on quit', async () => {
    const upLocal = await startUpLocal();
    try {
      await upLocal.waitForOutput(/Ctrl-C or quit stops everything/, 90_000);
      // The commands' help follows the addresses, maybe in a later write.
      await upLocal.waitForOutput(/kill +SIGKILL the webapp/, 10_000);
      const { env } = upLocal;
      const banner = upLocal.output();
      expect(banner).toContain(`Prometheus    http://127.0.0.1:${env.PROMETHEUS_PORT}`);
      expect(banner).toContain(`Alertmanager  http://127.0.0.1:${env.ALERTMANAGER_PORT}`);
      expect(banner).toContain(`Alert emails  http://127.0.0.1:${env.MAILDEV_PORT}`);
      const webapp = `http://127.0.0.1:${env.WEBAPP_PORTS}`;
      expect(banner).toContain(`webapp        ${webapp}`);
      const telex = `http://127.0.0.1:${env.TELEX_INTEGRATION_PORT}`;
      expect(banner).toContain(`Telex         ${telex}/integration.json`);
      const spec = (await (await fetch(`${telex}/integration.json`)).json()) as {
        data: { tick_url: string };
      };
      expect(spec.data.tick_url).toBe(`${telex}/tick`);
      expect(banner).toContain(`A2A agent     ${telex}/.well-known/agent.json`);
      // The agent reads this stack's Alertmanager pair: an answer, not a failure to reach it.
      const firing = await a2aCall(telex, telexMessageSend('up-local-1', 'what is firing?'));
      expect(firing.body.result?.status?.state, answerText(firing)).toBe('completed');
      expect(answerText(firing)).toMatch(/firing/);
      expect(banner).toMatch(/chat +no chat receiver: set SLACK_WEBHOOK_URL_FILE, TELEX_WEBHOOK_URL/);
      expect(banner).toMatch(/kill +SIGKILL the webapp/);
      const dataDir = (banner.match(/^ {4}data +(\S+)/m) ?? [])[1] as string;
      expect(existsSync(dataDir)).toBe(true);

      // The built-in generator's progress lines (every 10 s).
      await upLocal.waitForOutput(/^generator \| \[ +10s\] steady sent=\d+ rate=/m, 30_000);

      // One way to run a scenario, against this stack as against Compose's.
      const scenario = await run(
        'make',
        [
          '--no-print-directory',
          '-C',
          repoPath('.'),
          'scenario',
          'SCENARIO=spike',
          `TARGET=${webapp}`,
          'ARGS=--duration 2',
        ],
        { timeoutMs: 120_000 },
      );
      expect(scenario.code, scenario.stdout + scenario.stderr).toBe(0);
      expect(scenario.stdout).toMatch(/summary: spike against/);

      upLocal.send('kill');
      await upLocal.waitForOutput(/webapp killed \(SIGKILL\)/);
      expect(await health(webapp)).toBe(false);
      upLocal.send('status');
      await upLocal.waitForOutput(/^ {2}maildev +running/m);
      for (const part of [/^ {2}webapp +stopped/m, /^ {2}generator +running/m, /^ {2}prometheus +running/m])
        expect(upLocal.output()).toMatch(part);
      expect(upLocal.output()).toMatch(/^ {2}alertmanager-2 +running +http:\/\/127\.0\.0\.1:\d+$/m);
      // Seconds after the kill InstanceDown has not fired: no resolved email is promised.
      upLocal.send('start');
      await upLocal.waitForOutput(
        /webapp started again at \S+: InstanceDown (had not fired, so no email follows|was pending, not firing)/,
      );
      expect(await health(webapp)).toBe(true);
      upLocal.send('restart-everything');
      await upLocal.waitForOutput(
        /unknown command 'restart-everything'; one of kill, stop, start, status, help, quit/,
      );

      upLocal.send('quit');
      expect(await upLocal.exited).toBe(0);
      expect(upLocal.output()).toContain('stopped; data removed');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      // After a failed assertion the stack still runs: quit stops its processes (SIGKILL would leave
      // them running as orphans, as a failed CI run did); SIGKILL only if quit does not end it.
      if (upLocal.child.exitCode === null) {
        upLocal.send('quit');
        const timer = setTimeout(() => upLocal.child.kill('SIGKILL'), 30_000);
        await upLocal.exited;
        clearTimeout(timer);
      }
    }
  }, 240_000);

  it('refuses to start, naming the variable, when a port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      const upLocal = await startUpLocal({ PROMETHEUS_PORT: String(port) });
      expect(await upLocal.exited).toBe(2);
      expect(upLocal.output()).toContain(
        `up-local: 127.0.0.1:${port} (PROMETHEUS_PORT) is in use: stop what listens there (make down, if it is the Compose stack), or set PROMETHEUS_PORT`,
      );
    } finally {
      taken.close();
    }
  }, 60_000);
});
