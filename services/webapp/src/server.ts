import { serve } from '@fos/service-kit';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

await serve('webapp', loadConfig, (config) => buildApp({ config }));
