#!/usr/bin/env node
// The one-shot `web-auth` service of docker-compose.yml: writes the web configuration file
// Prometheus and the Alertmanagers start with, then exits. bcrypt needs a library, and neither
// their images nor a host with only Docker has one: this image has Node. `--check-config` only
// reads the configuration (make up runs it before anything starts).
import { rename, writeFile } from 'node:fs/promises';
import { ConfigError, loadConfig } from './config.ts';
import { renderWebConfig, requiresAuth, STACK_USER } from './web-config.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`web-auth: ${error.message}\n`);
  process.exit(2);
}
if (process.argv.includes('--check-config')) {
  process.stdout.write('web-auth: configuration ok\n');
  process.exit(0);
}
const text = await renderWebConfig(config.publishAddress, config.password);
// Whole or not at all: a Prometheus starting beside a half-written file would refuse it.
const partial = `${config.webConfigFile}.partial`;
await writeFile(partial, text, { mode: 0o644 });
await rename(partial, config.webConfigFile);
process.stdout.write(
  requiresAuth(config.publishAddress)
    ? `web-auth: published on ${config.publishAddress}: Prometheus and Alertmanager ask for user ${STACK_USER} and the password in secrets/stack_password\n`
    : `web-auth: published on ${config.publishAddress} only: no login asked\n`,
);
