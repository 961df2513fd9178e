import { DataSource } from 'typeorm';
import { OutboxMessage } from '../src/mail/entities/outbox-message.entity';
import { captureLogs } from './utils/captured-logs';
import { SmtpListener, tokenIn } from './utils/smtp-listener';
import {
  ADMIN,
  bearer,
  login,
  registerUser,
  registerWithEmail,
  startTestApp,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

const KEY_ENCRYPTION_KEY = 'a key encryption secret of at least 32 characters';
const FAST_RETRIES = { MAIL_RETRY_DELAY: '1', MAIL_SEND_INTERVAL: '1' };

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`not so within ${timeoutMs} ms`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

const outboxOf = (t: TestApp) => t.app.get(DataSource).getRepository(OutboxMessage);

describe('the mail outbox', () => {
  it('delays mail while the mail server is down, then delivers each message exactly once', async () => {
    const logs = captureLogs();
    const smtp = await new SmtpListener().start();
    const url = smtp.url;
    await smtp.stop();
    const t = await startTestApp({ MAIL_URL: url, ...FAST_RETRIES });
    const second = await startTestApp({ MAIL_URL: url, ...FAST_RETRIES }, { shareDatabaseOf: t });
    try {
      const users = await Promise.all(
        Array.from({ length: 6 }, () => registerWithEmail(t, 'outage')),
      );
      const answers = await Promise.all(
        users.map((user, index) =>
          (index % 2 ? second : t).http.post('/auth/password-reset').send({ email: user.email }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(users.map(() => 202));
      await until(async () => (await outboxOf(t).countBy({ status: 'pending' })) === 12);
      await until(async () =>
        (await outboxOf(t).findBy({ status: 'pending' })).every((m) => m.attempts > 0),
      );
      expect(smtp.received).toHaveLength(0);

      await smtp.start();
      await until(async () => (await outboxOf(t).countBy({ status: 'sent' })) === 12);
      // Every later pass of both instances has had its chance to send something twice.
      await new Promise((wait) => setTimeout(wait, 2500));

      for (const user of users) {
        const mails = smtp.to(user.email);
        expect(mails.map((mail) => mail.subject).sort()).toEqual([
          'Portcullis: confirm your email address',
          'Portcullis: reset your password',
        ]);
      }
      expect(smtp.received).toHaveLength(12);
      // The failures were logged, without an address or a code.
      const logged = JSON.stringify(logs.lines());
      expect(logged).toMatch(/not sent \(ESOCKET\)/);
      for (const mail of smtp.received) {
        expect(logged).not.toContain(mail.to);
        expect(logged).not.toContain(tokenIn(mail));
      }
    } finally {
      logs.release();
      await second.close();
      await t.close();
      await smtp.stop();
    }
  });

  it('seals a pending message with KEY_ENCRYPTION_KEY and clears it once sent', async () => {
    const smtp = await new SmtpListener().start();
    const t = await startTestApp({ MAIL_URL: smtp.url, KEY_ENCRYPTION_KEY });
    try {
      const email = `${uniqueUsername('sealed')}@example.com`;
      await smtp.stop();
      await registerUser(t, { email });
      const [pending] = await outboxOf(t).findBy({ status: 'pending' });
      expect(pending.payload).toMatch(/^sealed:v1:/);
      expect(pending.payload).not.toContain(email);

      await smtp.start();
      await t.http.post('/auth/password-reset').send({ email }).expect(202);
      const [mail] = await smtp.waitFor(email, 2, 60_000);
      await until(async () => (await outboxOf(t).countBy({ status: 'pending' })) === 0, 60_000);
      const rows = await outboxOf(t).find();
      expect(rows.every((row) => row.payload === null && row.status === 'sent')).toBe(true);
      expect(tokenIn(mail)).toHaveLength(43);
    } finally {
      await t.close();
      await smtp.stop();
    }
  }, 90_000);

  it('gives up after the last attempt, marks the message failed and audits mail_failed', async () => {
    const smtp = await new SmtpListener().start();
    const url = smtp.url;
    await smtp.stop();
    const t = await startTestApp({ MAIL_URL: url, MAIL_MAX_ATTEMPTS: '2', ...FAST_RETRIES });
    try {
      const user = await registerWithEmail(t, 'lost');
      await until(async () => (await outboxOf(t).countBy({ status: 'failed' })) === 1);

      const [row] = await outboxOf(t).findBy({ status: 'failed' });
      expect(row).toMatchObject({ attempts: 2, payload: null, template: 'email-verification' });
      const adminToken = await login(t, ADMIN);
      const events = await t.http
        .get(`/audit?type=mail_failed&userId=${user.id}`)
        .set(bearer(adminToken))
        .expect(200);
      expect(events.body).toEqual([
        expect.objectContaining({
          type: 'mail_failed',
          userId: user.id,
          detail: expect.objectContaining({ messageId: row.id, attempts: 2 }),
        }),
      ]);
      expect(JSON.stringify(events.body)).not.toContain(user.email);
    } finally {
      await t.close();
    }
  });

  it('answers 503 on the routes that send mail when production has no MAIL_URL', async () => {
    const t = await startTestApp({
      NODE_ENV: 'production',
      MAIL_URL: undefined,
      ISSUER: 'https://portcullis.test',
    });
    try {
      const answer = await t.http
        .post('/auth/password-reset')
        .send({ email: 'anyone@example.com' })
        .expect(503);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ detail: 'mail delivery is not configured' });
      const user = await registerUser(t, { email: `${uniqueUsername('nomail')}@example.com` });
      const token = await login(t, user);
      await t.http.post('/users/me/email/verification').set(bearer(token)).expect(503);
      expect(await outboxOf(t).count()).toBe(0);
    } finally {
      await t.close();
    }
  });
});
