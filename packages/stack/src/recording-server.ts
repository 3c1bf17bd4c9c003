import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './process.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for a service that cannot run here (Telex, Slack,
 * Discord, Teams): it records every request and answers `status` (200 unless told otherwise). It
 * can stop and start again on the same port, to play a receiver that is down for a while.
 */
export class RecordingServer {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  /** The status the next requests get; a function decides per request. */
  status: number | ((request: RecordedRequest) => number) = 200;
  #server: Server | undefined;
  #port = 0;

  constructor(name: string) {
    this.name = name;
  }

  static async start(name: string, port = 0): Promise<RecordingServer> {
    const server = new RecordingServer(name);
    await server.listen(port);
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens on `port` (the last one when omitted, else a free one). */
  async listen(port = this.#port): Promise<void> {
    const server = createServer((request, response) => this.#record(request, response));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections: the receiver is down. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** The requests to `path` (all when omitted), once there are at least `count` of them. */
  async waitForRequests(count: number, timeoutMs: number, path?: string): Promise<RecordedRequest[]> {
    return waitFor(
      `${count} request(s) to ${this.name}${path ?? ''}`,
      async () => {
        const matching = this.requests.filter((r) => path === undefined || r.path === path);
        return matching.length >= count ? matching : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  #record(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.requests.push(recorded);
      const status = typeof this.status === 'function' ? this.status(recorded) : this.status;
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(status < 300 ? '{"ok":true}' : '{"ok":false}');
    });
  }
}
