// A plain Fastify service, as a user writes one: it knows nothing of the stack. Its metrics come
// from OpenTelemetry alone (src/telemetry.ts).
import Fastify from 'fastify';

const orders = new Map<number, { id: number; item: string }>([
  [1, { id: 1, item: 'book' }],
  [2, { id: 2, item: 'lamp' }],
]);

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });

app.get('/health', async () => ({ ok: true }));

app.get<{ Params: { id: string } }>('/orders/:id', async (request, reply) => {
  // A bug on purpose: an id that is not a number throws, and the client gets a 500.
  const id = BigInt(request.params.id);
  const order = orders.get(Number(id));
  if (!order) return reply.code(404).send({ error: 'no such order' });
  return order;
});

app.post<{ Body: { item: string } }>('/orders', async (request, reply) => {
  const id = orders.size + 1;
  orders.set(id, { id, item: String(request.body?.item ?? 'thing') });
  return reply.code(201).send(orders.get(id));
});

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3001) });
