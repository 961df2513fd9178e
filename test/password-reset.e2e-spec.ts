import { Transactions } from '../src/database/transactions';
import { SecurityEvents } from '../src/events/security-events.service';
import { passwordGrant, refreshGrant } from './utils/oauth';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { SmtpListener, tokenIn } from './utils/smtp-listener';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  registerWithEmail,
  startTestApp,
  TestApp,
} from './utils/test-app';

const NEW_PASSWORD = 'a completely fresh passphrase';
const INVALID = 'This link is invalid, has expired or was already used';

describe('password reset by mail (a real SMTP server)', () => {
  const smtp = new SmtpListener();
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({ MAIL_URL: smtp.url, LOGIN_FAILURES_BEFORE_DELAY: '2' });
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const newUser = () => registerWithEmail(t, 'reset');
  const requestReset = (body: object) => t.http.post('/auth/password-reset').send(body).expect(202);
  const confirm = (token: string, newPassword = NEW_PASSWORD) =>
    t.http.post('/auth/password-reset/confirm').send({ token, newPassword });
  const resetMails = async (email: string, count: number) =>
    (await smtp.waitFor(email, count)).filter((mail) => /reset your password/.test(mail.subject));

  it('mails a link whose code sets a new password and ends every token of the account', async () => {
    const user = await newUser();
    const before = await passwordGrant(t, credentialsOf(user));

    await requestReset({ email: user.email.toUpperCase() });
    // The verification mail of the registration came first.
    const [mail] = await resetMails(user.email, 2);
    expect(mail.text).toContain(`${t.url ?? 'http://portcullis.test'}/auth/password-reset#token=`);
    await confirm(tokenIn(mail)).expect(204);

    await t.http.get('/users/me').set(bearer(before.access_token)).expect(401);
    await refreshGrant(t, before.refresh_token).expect(400);
    await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password })
      .expect(401);
    const after = await login(t, { username: user.username, password: NEW_PASSWORD });
    const me = await t.http.get('/users/me').set(bearer(after)).expect(200);
    expect(me.body).toMatchObject({ email: user.email, emailVerified: true });
    const notices = await smtp.waitFor(user.email, 3);
    expect(notices[2].subject).toMatch(/your password was changed/);
    expect(notices[2].text).toContain('You have no personal access tokens.');
    expect(notices[2].text).not.toContain(tokenIn(mail));
  });

  it('serves the page behind the link without spending the code, under a strict CSP', async () => {
    const user = await newUser();
    await requestReset({ email: user.email });
    const [mail] = await resetMails(user.email, 2);

    // What a mail scanner does: fetch the link (the fragment never reaches the server).
    for (const path of ['/auth/password-reset', `/auth/password-reset?token=${tokenIn(mail)}`]) {
      const page = await t.http.get(path).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toMatch(
        /^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'; form-action 'self'/,
      );
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.text).not.toContain(tokenIn(mail));
    }
    const verifyPage = await t.http.get('/auth/verify-email').expect(200);
    expect(verifyPage.text).toContain('/auth/verify-email');

    await confirm(tokenIn(mail)).expect(204);
  });

  it('spends a code once, and answers a spent, unknown or garbled code alike', async () => {
    const user = await newUser();
    await requestReset({ username: user.username });
    const [mail] = await resetMails(user.email, 2);
    await confirm(tokenIn(mail)).expect(204);

    const answers = await Promise.all(
      [tokenIn(mail), 'x'.repeat(43), 'not a token', ''].map((token) => confirm(token)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect((answer.body as { detail: string }).detail).toBe(INVALID);
    }
  });

  it('voids the first link when a second is asked for', async () => {
    const user = await newUser();
    await requestReset({ email: user.email });
    await requestReset({ email: user.email });
    const [first, second] = await resetMails(user.email, 3);

    await confirm(tokenIn(first)).expect(400);
    await confirm(tokenIn(second)).expect(204);
  });

  it('lets two requests spend one code at once: one wins, the other is refused', async () => {
    const user = await newUser();
    await requestReset({ email: user.email });
    const [mail] = await resetMails(user.email, 2);

    const answers = await Promise.all([
      confirm(tokenIn(mail), NEW_PASSWORD),
      confirm(tokenIn(mail), `${NEW_PASSWORD} too`),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 400]);
  });

  it('applies the password policy and keeps the code for a better try', async () => {
    const user = await newUser();
    await requestReset({ email: user.email });
    const [mail] = await resetMails(user.email, 2);

    const weak = await confirm(tokenIn(mail), 'short');
    expect(weak.status).toBe(400);
    expect((weak.body as { detail: string }).detail).not.toBe(INVALID);
    await confirm(tokenIn(mail)).expect(204);
  });

  it('clears the login throttle of the account it resets', async () => {
    const user = await newUser();
    const wrong = () =>
      t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: user.username, password: 'wrong guess' });
    await wrong().expect(401);
    await wrong().expect(401);
    await wrong().expect(429);

    await requestReset({ email: user.email });
    const [mail] = await resetMails(user.email, 2);
    await confirm(tokenIn(mail)).expect(204);

    await login(t, { username: user.username, password: NEW_PASSWORD });
  });

  it('lets an administrator send a reset mail, never showing the code', async () => {
    const user = await newUser();
    const answer = await t.http
      .post(`/users/${user.id}/password-reset`)
      .set(bearer(adminToken))
      .expect(202);
    expect(JSON.stringify(answer.body)).not.toMatch(/token/i);
    const [mail] = await resetMails(user.email, 2);
    await confirm(tokenIn(mail)).expect(204);

    const noEmail = await registerUser(t);
    await t.http.post(`/users/${noEmail.id}/password-reset`).set(bearer(adminToken)).expect(409);
    await t.http
      .post('/users/00000000-0000-4000-8000-000000000000/password-reset')
      .set(bearer(adminToken))
      .expect(404);
    const userToken = await login(t, { username: user.username, password: NEW_PASSWORD });
    await t.http.post(`/users/${user.id}/password-reset`).set(bearer(userToken)).expect(403);
  });

  it('refuses a body with neither email nor username, and a malformed email', async () => {
    await t.http.post('/auth/password-reset').send({}).expect(400);
    await t.http.post('/auth/password-reset').send({ email: 'not an address' }).expect(400);
    await t.http
      .post('/auth/password-reset')
      .send({ email: 'a@example.com', extra: 1 })
      .expect(400);
  });

  it('records the request and the reset in the audit log, without the code', async () => {
    const user = await newUser();
    await requestReset({ email: user.email });
    const [mail] = await resetMails(user.email, 2);
    await confirm(tokenIn(mail)).expect(204);

    const events = await t.http
      .get(`/audit?userId=${user.id}&limit=50`)
      .set(bearer(adminToken))
      .expect(200);
    const types = (events.body as Array<{ type: string }>).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['password_reset_requested', 'password_reset']));
    expect(JSON.stringify(events.body)).not.toContain(tokenIn(mail));
  });

  it('mails the owner a notice for a password change, and for any notice event in a transaction', async () => {
    const user = await newUser();
    const token = await login(t, user);
    const script = await createPersonalAccessToken(t, token, { name: 'deploy <script>' });
    await t.http
      .post('/users/me/password')
      .set(bearer(token))
      .send({ currentPassword: user.password, newPassword: NEW_PASSWORD })
      .expect(204);
    const [, notice] = await smtp.waitFor(user.email, 2);
    expect(notice.subject).toMatch(/your password was changed/);
    // The tokens a password change leaves working are named, never shown.
    expect(notice.text).toContain('still work until revoked or expired: "deploy <script>".');
    expect(notice.html).toContain('&quot;deploy &lt;script&gt;&quot;');
    expect(notice.text).not.toContain(script.token);
    await t.http.get('/users/me').set(bearer(script.token)).expect(200);

    // How another feature gets its notice: its event, published inside its transaction.
    const events = t.app.get(SecurityEvents);
    await t.app
      .get(Transactions)
      .run((manager) => events.publish({ type: 'mfa_enabled', userId: user.id }, manager));
    await events.publish({ type: 'mfa_disabled', userId: user.id });
    const [, , mfa] = await smtp.waitFor(user.email, 3);
    expect(mfa.subject).toMatch(/second factor enabled/);
    await new Promise((wait) => setTimeout(wait, 500));
    expect(smtp.to(user.email)).toHaveLength(3);
  });

  it('counts mail in the metrics', async () => {
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^portcullis_mail_sent_total\{template="password-reset"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^portcullis_mail_failed_total\{template="password-reset"\} 0$/m);
    expect(metrics).toMatch(/^portcullis_mail_queue_depth \d+$/m);
  });
});
