import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * Ports the tests hand out lie below Linux's ephemeral range (32768-60999 by default), where the
 * kernel picks the local port of every outgoing connection: a port the kernel chose for bind(0) and
 * released could be taken by one of those before the process it was meant for binds it (seen in CI:
 * an Alertmanager's "bind: address already in use").
 */
const PORT_RANGE = { from: 20_000, to: 32_767 } as const;
const handedOut = new Set<number>();

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  // once() rejects when 'error' comes first (EADDRINUSE).
  const listening = once(server, 'listening').then(
    () => true,
    () => false,
  );
  server.listen(port, '127.0.0.1');
  const ok = await listening;
  if (ok) {
    server.close();
    await once(server, 'close');
  }
  return ok;
}

/** A free TCP port on 127.0.0.1, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${PORT_RANGE.from} and ${PORT_RANGE.to} after 200 tries`);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/** Resolves when `url` answers 2xx. */
export function waitForHttp(url: string, timeoutMs = 30_000): Promise<true> {
  return waitFor(
    url,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    },
    { timeoutMs },
  );
}

/** A child process whose output is kept, so a failing test can show what it said. */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  #log = '';
  #lineListeners: Array<(line: string) => void> = [];
  #partialLine = '';
  readonly exited: Promise<number | null>;

  constructor(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.#log += text;
      // Bound the memory a chatty process can take: keep the last 1 MB.
      if (this.#log.length > 1_000_000) this.#log = this.#log.slice(-500_000);
      if (this.#lineListeners.length === 0) return;
      const lines = (this.#partialLine + text).split('\n');
      this.#partialLine = lines.pop() ?? '';
      for (const line of lines) for (const listener of this.#lineListeners) listener(line);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve(code ?? (signal ? null : 0)));
    });
    this.child.once('error', (error) => {
      this.#log += `\nspawn error: ${error.message}\n`;
    });
  }

  get log(): string {
    return this.#log;
  }

  /** Calls `listener` with each whole line the process prints from now on (stdout and stderr). */
  onLine(listener: (line: string) => void): void {
    this.#lineListeners.push(listener);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Waits for `url` to answer 2xx; if it never does, stops the process and throws with its log. */
  async waitReady(url: string, timeoutMs = 30_000): Promise<void> {
    try {
      await waitForHttp(url, timeoutMs);
    } catch (error) {
      await this.stop();
      throw new Error(`${this.name}: ${String(error)}\n${this.log}`);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * A server process that can be started, killed and started again with the same command, on the same
 * files: every server of the local stack (webapps, Prometheus, the Alertmanagers, maildev), and the
 * fault tests' crash (SIGKILL) and clean restart (SIGTERM). Ready when `readyUrl` answers 2xx.
 */
export class RestartableProcess {
  readonly name: string;
  readonly readyUrl: string;
  readonly #command: string;
  readonly #args: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  #earlierLogs = '';
  /** The current run; undefined until start(). */
  process: ManagedProcess | undefined;

  constructor(
    name: string,
    command: string,
    args: readonly string[],
    readyUrl: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = name;
    this.readyUrl = readyUrl;
    this.#command = command;
    this.#args = args;
    this.#env = env;
  }

  /** Starts it, or starts it again after it exited, and waits until it is ready. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.process?.running) throw new Error(`${this.name} is already running`);
    if (this.process) this.#earlierLogs += this.process.log;
    this.process = new ManagedProcess(this.name, this.#command, this.#args, this.#env);
    await this.process.waitReady(this.readyUrl, timeoutMs);
  }

  /** Sends `signal`, waits for the exit, starts it again and waits until it is ready. */
  async restart(signal: NodeJS.Signals, timeoutMs = 60_000): Promise<void> {
    this.process?.signal(signal);
    await this.process?.exited;
    await this.start(timeoutMs);
  }

  /** Every run's output. */
  get log(): string {
    return this.#earlierLogs + (this.process?.log ?? '');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; its files stay for a later start(). */
  async stop(graceMs?: number): Promise<void> {
    await this.process?.stop(graceMs);
  }
}
