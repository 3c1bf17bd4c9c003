import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { integrationSpec } from '../spec.ts';

// A plain mark for Telex's app list: a pulse line on the spec's background colour.
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#1f2937"/><path d="M8 34h12l6-14 10 28 6-14h14" fill="none" stroke="#22c55e" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

export interface IntegrationRouteOptions {
  publicUrl: string;
  /** The `service` setting's default (WEBAPP_JOB). */
  defaultService: string;
  /** Origins whose pages may read the spec: Telex's web app fetches it from the browser. */
  corsOrigins: readonly string[];
}

export async function integrationRoutes(
  app: FastifyInstance,
  options: IntegrationRouteOptions,
): Promise<void> {
  // Registered inside this plugin's scope: CORS headers on the spec and the logo, not on /tick.
  await app.register(cors, { origin: [...options.corsOrigins], methods: ['GET'] });
  const spec = integrationSpec(options.publicUrl, options.defaultService);
  const schema = { summary: 'The integration spec Telex reads', tags: ['telex'] };
  app.get('/integration.json', { schema }, async () => spec);
  app.get('/', { schema }, async () => spec);
  app.get(
    '/logo.svg',
    { schema: { summary: 'The logo the spec names', tags: ['telex'] } },
    async (_request, reply) => reply.type('image/svg+xml').send(LOGO),
  );
}
