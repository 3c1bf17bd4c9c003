import { once } from 'node:events';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from '../../harness/process.ts';

export interface ReceivedMail {
  receivedAt: number;
  subject: string;
  text: string;
  html: string;
  to: string;
  from: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it receives, parsed. */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  #server: SMTPServer;
  port = 0;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail: ParsedMail) => {
            this.messages.push({
              receivedAt: Date.now(),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? ''),
              from: mail.from?.text ?? '',
            });
            callback();
          })
          .catch(callback);
      },
    });
  }

  async start(port = 0): Promise<number> {
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server.server, 'listening');
    this.port = (this.#server.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  waitForMail(
    what: string,
    match: (mail: ReceivedMail) => boolean,
    timeoutMs = 60_000,
  ): Promise<ReceivedMail> {
    return waitFor(what, () => this.messages.find(match), { timeoutMs, intervalMs: 100 });
  }
}
