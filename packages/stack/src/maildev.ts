import { existsSync } from 'node:fs';
import { repoPath } from '@fos/repo/paths';
import { freePort, type ManagedProcess, RestartableProcess, waitFor } from './process.ts';
import { type WorkDir, workDir } from './workdir.ts';

export const MAILDEV_BIN = repoPath('maildev/node_modules/maildev/bin/maildev');

export interface Mail {
  id: string;
  subject: string;
  text: string;
  html: string;
  /** When maildev received it. */
  time: string;
  to: string[];
}

/** maildev's REST API: the emails it caught. */
export class MaildevApi {
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }

  async emails(): Promise<Mail[]> {
    const response = await fetch(`${this.url}/email`);
    const emails = (await response.json()) as (Omit<Mail, 'to' | 'html'> & {
      html?: string;
      to?: { address: string }[];
    })[];
    return emails.map((mail) => ({
      ...mail,
      html: mail.html ?? '',
      text: mail.text ?? '',
      to: (mail.to ?? []).map((recipient) => recipient.address),
    }));
  }

  waitForEmail(what: string, match: (mail: Mail) => boolean, timeoutMs = 120_000): Promise<Mail> {
    return waitFor(what, async () => (await this.emails()).find(match), { timeoutMs, intervalMs: 250 });
  }
}

/** The bundled mail catcher (the same npm package the compose image installs), on 127.0.0.1. */
export class Maildev extends MaildevApi {
  readonly smtpPort: number;
  readonly webPort: number;
  /** Where it keeps the mails; restarts keep them, stop() removes them unless the caller owns it. */
  readonly #dir: WorkDir;
  readonly server: RestartableProcess;

  constructor(smtpPort: number, webPort: number, dir: WorkDir) {
    super(`http://127.0.0.1:${webPort}`);
    this.smtpPort = smtpPort;
    this.webPort = webPort;
    this.#dir = dir;
    this.server = new RestartableProcess(
      'maildev',
      process.execPath,
      [
        MAILDEV_BIN,
        '--smtp',
        String(smtpPort),
        '--web',
        String(webPort),
        '--ip',
        '127.0.0.1',
        '--mail-directory',
        dir.path,
      ],
      `${this.url}/healthz`,
    );
  }

  static async create(options: { webPort?: number; dir?: string } = {}): Promise<Maildev> {
    if (!existsSync(MAILDEV_BIN)) {
      throw new Error('maildev is not installed: run `make install` (npm ci in maildev/)');
    }
    return new Maildev(
      await freePort(),
      options.webPort ?? (await freePort()),
      await workDir('maildev', options.dir),
    );
  }

  /** The current run of the server. */
  get process(): ManagedProcess | undefined {
    return this.server.process;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  /** Sends `signal`, waits for the exit and starts it again on the same mails. */
  restart(signal: NodeJS.Signals): Promise<void> {
    return this.server.restart(signal);
  }

  /** Every run's output. */
  get log(): string {
    return this.server.log;
  }

  /** Stops the process; its mails stay for a restart. */
  pause(): Promise<void> {
    return this.server.stop();
  }

  /** Stops the process and removes its mails. */
  async stop(): Promise<void> {
    await this.pause();
    await this.#dir.remove();
  }
}
