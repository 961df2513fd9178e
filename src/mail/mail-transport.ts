import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTransport, Transporter } from 'nodemailer';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mail goes: an SMTP server, or a folder with one `.eml` file per message. */
export abstract class MailTransport {
  abstract send(mail: OutgoingMail): Promise<void>;
  abstract close(): void;
}

// A server that accepts the connection and then says nothing must not hold a send past the lease.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

class SmtpTransport extends MailTransport {
  private readonly transporter: Transporter;

  constructor(url: string) {
    super();
    this.transporter = createTransport({ url, ...SMTP_TIMEOUTS });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail(mail);
  }

  close(): void {
    this.transporter.close();
  }
}

/** Sortable by name: the newest message is the last `.eml` in the folder. */
function fileName(): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomUUID()}.eml`;
}

class FileTransport extends MailTransport {
  // LF line ends, so that a shell reading the folder finds lines as they were written.
  private readonly transporter = createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });

  constructor(private readonly directory: string) {
    super();
  }

  async send(mail: OutgoingMail): Promise<void> {
    const { message } = (await this.transporter.sendMail(mail)) as { message: Buffer };
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const name = fileName();
    // Written aside and renamed: whoever watches the folder never sees half a message.
    const partial = join(this.directory, `.${name}.partial`);
    await writeFile(partial, message, { mode: 0o600 });
    await rename(partial, join(this.directory, name));
  }

  close(): void {}
}

/** Production without MAIL_URL: the sender never starts, and this is never asked to send. */
class UnconfiguredTransport extends MailTransport {
  send(): Promise<void> {
    return Promise.reject(new Error('MAIL_URL is not set'));
  }

  close(): void {}
}

export function createMailTransport(url: string | undefined): MailTransport {
  if (url === undefined) {
    return new UnconfiguredTransport();
  }
  return url.startsWith('file:')
    ? new FileTransport(resolve(url.slice('file:'.length)))
    : new SmtpTransport(url);
}
