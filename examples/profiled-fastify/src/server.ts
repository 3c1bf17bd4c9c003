// A plain Fastify service, as a user writes one, scraped by the stack: its request histogram and
// its profiles on demand are one registration each (packages/*/README.md). When its CPU or heap
// alert is about to fire, the stack's profile collector asks it for a profile with the token.
import { readFileSync } from 'node:fs';
import fastifyHttpMetrics, { metricsHandler } from '@fos/fastify-http-metrics';
import fastifyProfiler from '@fos/fastify-profiler';
import { collectDefaultMetrics, Registry } from '@prometheus-io/client';
import Fastify from 'fastify';

const tokenFile = process.env.PROFILER_TOKEN_FILE;
if (!tokenFile) throw new Error('PROFILER_TOKEN_FILE must name the file that holds the stack password');

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
await app.register(fastifyHttpMetrics, { registry });
await app.register(fastifyProfiler, {
  token: readFileSync(tokenFile, 'utf8').split('\n')[0]?.trim() ?? '',
  registry,
});
app.get('/metrics', metricsHandler(registry));
app.get('/health', async () => ({ ok: true }));

/** A slow price: a loop on the one thread for `budgetMs`, as real code ends up with one. */
function priceQuotes(budgetMs: number): number {
  const until = performance.now() + budgetMs;
  let price = 0;
  let quote = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 5_000; i++) price = (price * 31 + quote * 7 + i) % 1_000_003;
    quote++;
  }
  return price;
}

/** Quotes kept and never let go: the leak a heap profile finds. */
const quotes: string[][] = [];
function rememberQuotes(count: number): number {
  const batch: string[] = [];
  for (let i = 0; i < count; i++) batch.push(`quote-${Date.now()}-${i}`.padEnd(64, '.'));
  quotes.push(batch);
  return quotes.length;
}

app.get<{ Querystring: { ms?: string } }>('/price', async (request) => ({
  price: priceQuotes(Math.min(Number(request.query.ms ?? 20), 1000)),
}));
app.post<{ Querystring: { count?: string } }>('/quotes', async (request) => ({
  kept: rememberQuotes(Math.min(Number(request.query.count ?? 1000), 100_000)),
}));

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8000) });
