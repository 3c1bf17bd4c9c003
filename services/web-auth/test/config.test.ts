import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const PASSWORD = 'Zq3vX9kLm2Rt8wYp4Hs6Jd1B';
const files = (content: Record<string, string>) => (path: string) => {
  const text = content[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};
const withPassword = (text: string) => files({ '/run/secrets/stack_password': text });

describe('loadConfig', () => {
  it('has sane defaults: this machine only, the compose secret, the shared volume', () => {
    expect(loadConfig({}, withPassword(`${PASSWORD}\n`))).toEqual({
      publishAddress: '127.0.0.1',
      password: PASSWORD,
      webConfigFile: '/web-auth/web.yml',
    });
  });

  it('reads the address, the files and only the first line of the password file, trimmed', () => {
    const config = loadConfig(
      { PUBLISH_ADDRESS: '192.168.1.10', STACK_PASSWORD_FILE: '/p', WEB_CONFIG_FILE: '/out/web.yml' },
      files({ '/p': `  ${PASSWORD}  \nsecond line\n` }),
    );
    expect(config).toEqual({
      publishAddress: '192.168.1.10',
      password: PASSWORD,
      webConfigFile: '/out/web.yml',
    });
  });

  it.each([
    ['localhost', /^invalid configuration: PUBLISH_ADDRESS must be an IPv4 address .*, got 'localhost'$/],
    ['192.168.1', /PUBLISH_ADDRESS must be an IPv4 address .*, got '192.168.1'$/],
    ['', /PUBLISH_ADDRESS must be an IPv4 address .*, got ''$/],
    ['0.0.0.0', /PUBLISH_ADDRESS must be .*not 0\.0\.0\.0, got '0\.0\.0\.0'$/],
  ])('refuses PUBLISH_ADDRESS=%j with one line naming it', (address, message) => {
    expect(() => loadConfig({ PUBLISH_ADDRESS: address }, withPassword(PASSWORD))).toThrow(message);
  });

  it('names the password file it cannot read, and how to make one', () => {
    const attempt = () => loadConfig({ STACK_PASSWORD_FILE: '/missing' }, files({}));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      "invalid configuration: STACK_PASSWORD_FILE: cannot read '/missing' (ENOENT); make up creates secrets/stack_password",
    );
  });

  it.each([
    ['', /got 0 characters\)$/],
    ['short-pass1', /got 11 characters\)$/],
    ['with space in it long enough', /got 28 characters, some of them others\)$/],
    ['pässwörd-that-is-long', /some of them others\)$/],
    ['a:b@c/long-enough-1', /some of them others\)$/],
  ])('refuses the password %j without printing it', (password, message) => {
    const attempt = () => loadConfig({}, withPassword(password));
    expect(attempt).toThrow(
      /^invalid configuration: STACK_PASSWORD_FILE '\/run\/secrets\/stack_password' must hold/,
    );
    expect(attempt).toThrow(message);
    if (password !== '') {
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).not.toContain(password);
      }
    }
  });
});
