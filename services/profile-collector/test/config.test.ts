import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const files: Record<string, string> = {
  '/run/secrets/token': 'a-token-of-some-length\n',
  '/short': 'short\n',
};
const readText = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return text;
};

describe('profile collector configuration', () => {
  it('reads the defaults with only the token file given', () => {
    const config = loadConfig({ PROFILER_TOKEN_FILE: '/run/secrets/token' }, readText);
    expect(config).toMatchObject({
      port: 3200,
      publicUrl: 'http://127.0.0.1:3200',
      prometheus: { url: 'http://127.0.0.1:9090', timeoutMs: 5000 },
      profilerToken: 'a-token-of-some-length',
      profileDir: 'profiles',
      store: { maxProfiles: 200, maxBytes: 256 * 1024 * 1024 },
      pollIntervalMs: 5000,
      seconds: { cpu: 5, heap: 10 },
      cooldownMs: 300_000,
    });
  });

  it('stops with one line naming the variable, the value and what it expected', () => {
    expect(() => loadConfig({}, readText)).toThrow(ConfigError);
    expect(() => loadConfig({}, readText)).toThrow(/PROFILER_TOKEN_FILE/);
    expect(() => loadConfig({ PROFILER_TOKEN_FILE: '/short' }, readText)).toThrow(
      "invalid configuration: PROFILER_TOKEN_FILE '/short' must hold a token of at least 12 characters, got 5",
    );
    expect(() => loadConfig({ PROFILER_TOKEN_FILE: '/missing' }, readText)).toThrow(
      "invalid configuration: PROFILER_TOKEN_FILE: cannot read '/missing' (ENOENT)",
    );
    expect(() =>
      loadConfig({ PROFILER_TOKEN_FILE: '/run/secrets/token', CPU_PROFILE_SECONDS: '0' }, readText),
    ).toThrow(/CPU_PROFILE_SECONDS/);
    expect(() =>
      loadConfig({ PROFILER_TOKEN_FILE: '/run/secrets/token', PROMETHEUS_USERNAME: 'stack' }, readText),
    ).toThrow(/PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE go together/);
  });
});
