import { serve } from '@fos/service-kit';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

await serve('telex-integration', loadConfig, (config) => buildApp({ config }));
