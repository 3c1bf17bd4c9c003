import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, createHttpSender, type HttpSender } from '../src/http.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close();
  }
});

/** A raw HTTP server on 127.0.0.1 that answers the n-th request it reads (from 1) as `answer` says. */
async function rawServer(
  answer: (socket: Socket, n: number) => void,
): Promise<{ url: URL; received: () => number }> {
  let seen = 0;
  const server = createServer((socket: Socket) => {
    socket.on('data', () => answer(socket, ++seen));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: new URL(`http://127.0.0.1:${port}`), received: () => seen };
}

/** Drops the first `drop` requests (closes the socket, no answer), then answers 200. */
const droppingServer = (drop: number) =>
  rawServer((socket, n) =>
    n <= drop
      ? socket.destroy()
      : socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'),
  );

/** Promises 100 bytes, sends 7 and closes: a response cut short. */
const truncatingServer = () =>
  rawServer((socket) =>
    socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"route'),
  );

/** One request through a sender whose server drops the first `drops` connections unanswered. */
async function sendThroughDroppingServer(drops: number, request: Parameters<HttpSender['send']>[0]) {
  const { url, received } = await droppingServer(drops);
  const sender = createHttpSender(url, { maxInFlight: 4, timeoutMs: 2000 });
  try {
    return { outcome: await sender.send(request), received };
  } finally {
    await sender.close();
  }
}

describe('HTTP sender', () => {
  it('counts a response cut short as a reset, not as its status', async () => {
    const { url, received } = await truncatingServer();
    const sender = createHttpSender(url, { maxInFlight: 4, timeoutMs: 2000 });
    try {
      const outcome = await sender.send({
        route: 'ep_one',
        method: 'GET',
        path: '/ep_one',
        expectFailure: false,
      });
      expect(outcome).toMatchObject({ kind: 'reset', retried: true });
      expect(received()).toBe(2);
    } finally {
      await sender.close();
    }
  });

  it('sends a GET once more when its connection closes before any answer, and says so', async () => {
    const { outcome, received } = await sendThroughDroppingServer(1, {
      route: 'ep_one',
      method: 'GET',
      path: '/ep_one',
      expectFailure: false,
    });
    expect(outcome).toEqual({ kind: 'response', status: 200, retried: true });
    expect(received()).toBe(2);
  });

  it('never sends a POST twice', async () => {
    const { outcome, received } = await sendThroughDroppingServer(1, {
      route: 'increment',
      method: 'POST',
      path: '/counter/increment',
      expectFailure: false,
    });
    expect(outcome.kind).toBe('reset');
    expect(outcome.retried).toBeUndefined();
    expect(received()).toBe(1);
  });

  it('retries once only: a second drop is a reset', async () => {
    const { outcome, received } = await sendThroughDroppingServer(2, {
      route: 'ep_one',
      method: 'GET',
      path: '/ep_one',
      expectFailure: false,
    });
    expect(outcome).toMatchObject({ kind: 'reset', retried: true });
    expect(received()).toBe(2);
  });

  it('classifies refusals apart from failures', () => {
    expect(classifyError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).kind).toBe('refused');
    expect(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })).kind).toBe(
      'timeout',
    );
    expect(classifyError(Object.assign(new Error('x'), { name: 'TimeoutError' })).kind).toBe('timeout');
    expect(
      classifyError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })).kind,
    ).toBe('reset');
    expect(classifyError(new Error('weird')).kind).toBe('error');
  });
});
