import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from './config.ts';

export interface ServedConfig {
  host: string;
  port: number;
  shutdownGraceMs: number;
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'no such local address',
  EACCES: 'permission denied',
};

/**
 * What every service's server.ts does: read the configuration (a bad value: one line naming it,
 * exit 2), build the app, listen (a port in use or an address that is not ours: one line, exit 3),
 * and on SIGTERM/SIGINT stop accepting, let in-flight work finish and exit 0, forcing the exit
 * after the grace period. With `--check-config` it only reads the configuration and exits (0 or
 * 2): `make up` runs that in each service's container before it starts anything.
 */
export async function serve<C extends ServedConfig>(
  name: string,
  loadConfig: () => C,
  buildApp: (config: C) => Promise<FastifyInstance>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (argv.includes('--check-config')) {
    process.stdout.write(`${name}: configuration ok\n`);
    process.exit(0);
  }
  const app = await buildApp(config);
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = LISTEN_FAILURES[code];
    if (reason === undefined) throw error;
    process.stderr.write(
      `${name}: cannot listen on ${config.host}:${config.port}: ${reason} (${code}); set HOST or PORT\n`,
    );
    await app.close();
    process.exit(3);
  }
}
