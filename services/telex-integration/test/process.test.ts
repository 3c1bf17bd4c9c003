import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { RecordingServer } from '@fos/stack/recording-server';
import { describe, expect, it } from 'vitest';

const SERVER = new URL('../src/server.ts', import.meta.url).pathname;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return {
    child,
    output: () => output,
    exited: once(child, 'exit') as Promise<[number | null, string | null]>,
  };
}

describe('the telex-integration process', () => {
  it('refuses a bad variable at start with one line naming it, exit 2', async () => {
    const run = start({ TELEX_RETURN_URL_HOSTS: 'https://ping.telex.im/v1' });
    const [code] = await run.exited;
    expect(code).toBe(2);
    expect(run.output().trim()).toBe(
      "telex-integration: invalid configuration: TELEX_RETURN_URL_HOSTS must be comma-separated host names, got 'https://ping.telex.im/v1'",
    );
  });

  it('on SIGTERM finishes the report it is retrying, then exits 0', async () => {
    const telex = await RecordingServer.start('telex');
    await telex.stop();
    const run = start({
      TELEX_RETURN_URL_HOSTS: '127.0.0.1',
      PROMETHEUS_URL: telex.url,
      DELIVERY_BACKOFF_MS: '500',
    });
    try {
      let port = 0;
      while (port === 0 && run.child.exitCode === null) {
        port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1] ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const tick = await fetch(`http://127.0.0.1:${port}/tick`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel_id: 'c', return_url: `${telex.url}/r` }),
      });
      expect(tick.status).toBe(202);
      // The first attempt is refused; the receiver comes back while the process is shutting down.
      await new Promise((resolve) => setTimeout(resolve, 200));
      run.child.kill('SIGTERM');
      await telex.listen();
      const [code] = await run.exited;
      expect(code, run.output()).toBe(0);
      expect(telex.requests).toHaveLength(1);
      expect(run.output()).toContain('health report posted');
    } finally {
      run.child.kill('SIGKILL');
      await telex.stop();
    }
  });
});
