import bcrypt from 'bcryptjs';

/** The one user of Prometheus' and Alertmanager's basic auth: every client in the stack logs in as it. */
export const STACK_USER = 'stack';

/** The address the stack publishes on by default: this machine only, where no login is asked. */
export const LOOPBACK = '127.0.0.1';

/** Basic auth is on wherever Prometheus and Alertmanager are published on anything but 127.0.0.1. */
export function requiresAuth(publishAddress: string): boolean {
  return publishAddress !== LOOPBACK;
}

/**
 * The web configuration file (Prometheus' and Alertmanager's `--web.config.file`, read by the
 * exporter-toolkit): basic auth for STACK_USER with a bcrypt hash of `password` when published,
 * else no users, which lets every request in. Clients send the password either way, so a change of
 * PUBLISH_ADDRESS changes nothing but this file.
 */
export async function renderWebConfig(
  publishAddress: string,
  password: string,
  hash: (password: string) => Promise<string> = (text) => bcrypt.hash(text, 10),
): Promise<string> {
  if (!requiresAuth(publishAddress)) {
    return `# PUBLISH_ADDRESS is ${LOOPBACK}: published on this machine only, no login asked.\n`;
  }
  return [
    `# PUBLISH_ADDRESS is ${publishAddress}: every request logs in as ${STACK_USER}, with the password of secrets/stack_password.`,
    'basic_auth_users:',
    `  ${STACK_USER}: '${await hash(password)}'`,
    '',
  ].join('\n');
}
