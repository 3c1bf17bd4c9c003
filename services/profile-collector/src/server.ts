import { serve } from '@fos/service-kit/serve';
import { startTelemetry } from '@fos/service-kit/telemetry';
import { loadConfig } from './config.ts';

await serve('profile-collector', loadConfig, async (config) => {
  // Before Fastify and pino load (app.ts imports them): their instrumentation patches them as they load.
  const telemetry = startTelemetry(config.telemetry);
  const { buildApp } = await import('./app.ts');
  return buildApp({ config, telemetry });
});
