import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderWebConfig, requiresAuth, STACK_USER } from '../src/web-config.ts';

const PASSWORD = 'Zq3vX9kLm2Rt8wYp4Hs6Jd1B';

describe('renderWebConfig', () => {
  it('asks no login on 127.0.0.1, the default: the file holds no users', async () => {
    const text = await renderWebConfig('127.0.0.1', PASSWORD);
    expect(requiresAuth('127.0.0.1')).toBe(false);
    expect(parse(text)).toBeNull();
    expect(text).not.toContain(PASSWORD);
  });

  it.each(['192.168.1.10', '10.0.0.5', '127.0.0.2'])(
    'on %s asks for the stack user with a bcrypt hash of the password, never the password',
    async (address) => {
      const text = await renderWebConfig(address, PASSWORD);
      expect(requiresAuth(address)).toBe(true);
      const config = parse(text) as { basic_auth_users: Record<string, string> };
      expect(Object.keys(config.basic_auth_users)).toEqual([STACK_USER]);
      const hash = config.basic_auth_users[STACK_USER] as string;
      expect(hash).toMatch(/^\$2[aby]\$10\$/);
      expect(await bcrypt.compare(PASSWORD, hash)).toBe(true);
      expect(await bcrypt.compare(`${PASSWORD}x`, hash)).toBe(false);
      expect(text).not.toContain(PASSWORD);
    },
  );

  it('writes the hash it is given, quoted so YAML keeps its $ and / as they are', async () => {
    const text = await renderWebConfig('192.168.1.10', PASSWORD, async () => '$2b$10$abc/def.ghi');
    expect(parse(text)).toEqual({ basic_auth_users: { [STACK_USER]: '$2b$10$abc/def.ghi' } });
  });
});
