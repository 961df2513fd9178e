import { simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server on a loopback port, for the service to deliver to: every message is parsed
 * (mailparser) and kept. `stop` and `start` again on the same port play a mail server outage.
 */
export class SmtpListener {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;
  private port = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      // No certificate here: nodemailer would otherwise try STARTTLS.
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.received.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address).join(','),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The mails to `to` so far. */
  to(to: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to === to);
  }

  /** Waits until `to` has received `count` mails (or more), and answers them all. */
  async waitFor(to: string, count = 1, timeoutMs = 15_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(to).length < count) {
      if (Date.now() > deadline) {
        throw new Error(`${to} got ${this.to(to).length} mails, not ${count}, in ${timeoutMs} ms`);
      }
      await new Promise((wait) => setTimeout(wait, 50));
    }
    return this.to(to);
  }
}

/** The code a mail's link carries after `#token=`. */
export function tokenIn(mail: ReceivedMail): string {
  const match = /#token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) {
    throw new Error(`no link with a token in "${mail.subject}"`);
  }
  return match[1];
}

/** The link itself, as a person would click it. */
export function linkIn(mail: ReceivedMail): string {
  const match = /(https?:\/\/\S+#token=[A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) {
    throw new Error(`no link in "${mail.subject}"`);
  }
  return match[1];
}
