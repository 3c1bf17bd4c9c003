import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`webapp: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const app = await buildApp({ config });
  // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, exit 0; force-exit after the grace period.
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A port in use or an address that is not ours is the user's to fix: one line, exit 3.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      const reason = {
        EADDRINUSE: 'the port is already in use',
        EADDRNOTAVAIL: 'no such local address',
        EACCES: 'permission denied',
      }[code];
      process.stderr.write(
        `webapp: cannot listen on ${config.host}:${config.port}: ${reason} (${code}); set HOST or PORT\n`,
      );
      await app.close();
      process.exit(3);
    }
    throw error;
  }
}

await main();
