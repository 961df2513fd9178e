import { DataSource } from 'typeorm';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import { OutboxMessage } from '../src/mail/entities/outbox-message.entity';
import { PurgeService } from '../src/maintenance/purge.service';
import { passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { SmtpListener } from './utils/smtp-listener';
import { newAddress, passwordAttempt, ThrottledApps } from './utils/throttled-apps';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  registerWithEmail,
  TestApp,
} from './utils/test-app';

// The documented bound (docs/security.md, Signing keys): every instance signs with the promoted
// key within KEY_RELOAD_INTERVAL, sooner with Redis.
const KEY_RELOAD_SECONDS = 2;
const redisUrl = process.env.TEST_REDIS_URL;
const store = redisUrl ? 'Redis' : 'the database';
const database = process.env.E2E_DATABASE === 'postgres' ? 'PostgreSQL' : 'one SQLite file';

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`not so within ${timeoutMs} ms`);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe(`three instances on ${database}, limits and notices through ${store}`, () => {
  const apps = new ThrottledApps(redisUrl);
  const smtp = new SmtpListener();
  let a: TestApp;
  let b: TestApp;
  let c: TestApp;
  let three: TestApp[];

  beforeAll(async () => {
    await smtp.start();
    const env = {
      TRUST_PROXY: 'true',
      KEY_RELOAD_INTERVAL: String(KEY_RELOAD_SECONDS),
      MAIL_URL: smtp.url,
      MAIL_SEND_INTERVAL: '1',
      MAIL_RETRY_DELAY: '1',
    };
    a = await apps.start(env);
    b = await apps.start(env, { shareDatabaseOf: a, sharePrefixOf: a });
    c = await apps.start(env, { shareDatabaseOf: a, sharePrefixOf: a });
    three = [a, b, c];
  });

  afterAll(async () => {
    await apps.closeAll();
    await smtp.stop();
  });

  it('logs in on A, refreshes on B, revokes on C: the session ends on all three', async () => {
    const user = await registerUser(a);
    const pair = await passwordGrant(a, user);
    const refreshed = (await refreshGrant(b, pair.refresh_token).expect(200)).body as TokenPair;
    await c.http.get('/users/me').set(bearer(refreshed.access_token)).expect(200);

    await c.http.post('/auth/revoke').type('form').send({ token: refreshed.refresh_token });

    for (const t of three) {
      await refreshGrant(t, refreshed.refresh_token).expect(400);
      await t.http.get('/users/me').set(bearer(refreshed.access_token)).expect(401);
    }
  });

  it('locks the username and address pair after failures spread across the three', async () => {
    const user = await registerUser(a);
    const address = newAddress();
    for (let attempt = 0; attempt < 5; attempt++) {
      await passwordAttempt(three[attempt % 3], user.username, 'wrong guess', address).expect(401);
    }
    for (const t of three) {
      const refused = await passwordAttempt(t, user.username, user.password, address).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('lets exactly one of concurrent refreshes of one token, spread across the three, win', async () => {
    const pair = await passwordGrant(a, credentialsOf(await registerUser(a)));
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => refreshGrant(three[i % 3], pair.refresh_token)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status >= 500)).toEqual([]);
  });

  it('signs with the key rotated on A on B and C within KEY_RELOAD_INTERVAL', async () => {
    const rotatedAt = Date.now();
    const rotated = await a.http
      .post('/keys/rotate')
      .set(bearer(await login(a, ADMIN)))
      .expect(201);
    const { kid } = rotated.body as { kid: string };
    const signingKid = (t: TestApp) => t.app.get(SigningKeysService).currentSigningKey().kid;
    await until(() => Promise.resolve([b, c].every((t) => signingKid(t) === kid)));
    expect(Date.now() - rotatedAt).toBeLessThanOrEqual(KEY_RELOAD_SECONDS * 1000 + 500);
  });

  it('sends a message exactly once with three senders running', async () => {
    const user = await registerWithEmail(b, 'three-senders');
    await b.http.post('/auth/password-reset').send({ email: user.email }).expect(202);
    const outbox = a.app.get(DataSource).getRepository(OutboxMessage);
    await until(async () => (await outbox.countBy({ status: 'pending' })) === 0);
    // Every sender has had several passes in which to send it again.
    await new Promise((wait) => setTimeout(wait, 2500));
    const resets = smtp
      .to(user.email)
      .filter((mail) => mail.subject === 'Portcullis: reset your password');
    expect(resets).toHaveLength(1);
  });

  it('runs a scheduled purge on one instance only, however many tick at once', async () => {
    const now = Date.now() + 365 * 86400_000;
    const reports = await Promise.all(three.map((t) => t.app.get(PurgeService).tick(now)));
    expect(reports.filter((report) => report !== undefined)).toHaveLength(1);
  });
});
