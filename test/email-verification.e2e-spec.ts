import { SmtpListener, tokenIn } from './utils/smtp-listener';
import {
  ADMIN,
  bearer,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

const INVALID = 'This link is invalid, has expired or was already used';
const address = () => `${uniqueUsername('verify')}@example.com`;

describe('email verification by mail (a real SMTP server)', () => {
  const smtp = new SmtpListener();
  let t: TestApp;

  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({ MAIL_URL: smtp.url });
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const verify = (token: string) => t.http.post('/auth/verify-email').send({ token });
  const me = async (token: string) =>
    (await t.http.get('/users/me').set(bearer(token)).expect(200)).body as {
      email: string | null;
      emailVerified: boolean;
    };

  it('mails a link on registration whose code verifies the address, once', async () => {
    const email = address();
    const user = await registerUser(t, { email });
    const token = await login(t, user);
    expect(await me(token)).toMatchObject({ email, emailVerified: false });

    const [mail] = await smtp.waitFor(email);
    expect(mail.subject).toMatch(/confirm your email address/);
    expect(mail.text).toContain('/auth/verify-email#token=');
    await verify(tokenIn(mail)).expect(204);

    expect(await me(token)).toMatchObject({ email, emailVerified: true });
    const again = await verify(tokenIn(mail)).expect(400);
    expect((again.body as { detail: string }).detail).toBe(INVALID);
    await t.http.post('/users/me/email/verification').set(bearer(token)).expect(409);
  });

  it('sends a new link on request, and the earlier one stops working', async () => {
    const email = address();
    const user = await registerUser(t, { email });
    const token = await login(t, user);
    await smtp.waitFor(email);

    await t.http.post('/users/me/email/verification').set(bearer(token)).expect(202);
    const [first, second] = await smtp.waitFor(email, 2);

    await verify(tokenIn(first)).expect(400);
    await verify(tokenIn(second)).expect(204);
  });

  it('answers 409 to a resend for an account without an address', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    await t.http.post('/users/me/email/verification').set(bearer(token)).expect(409);
  });

  it('on an address change: unverified again, a link to the new one, a notice to the old one', async () => {
    const [oldEmail, newEmail] = [address(), address()];
    const user = await registerUser(t, { email: oldEmail });
    const token = await login(t, user);
    const [oldLink] = await smtp.waitFor(oldEmail);
    await verify(tokenIn(oldLink)).expect(204);
    await t.http.post('/users/me/email/verification').set(bearer(token)).expect(409);

    await t.http.patch('/users/me').set(bearer(token)).send({ email: newEmail }).expect(200);

    expect(await me(token)).toMatchObject({ email: newEmail, emailVerified: false });
    const [notice] = (await smtp.waitFor(oldEmail, 2)).slice(1);
    expect(notice.subject).toMatch(/your email address was changed/);
    expect(notice.text).not.toContain(newEmail);
    const [link] = await smtp.waitFor(newEmail);
    await verify(tokenIn(link)).expect(204);
    expect(await me(token)).toMatchObject({ email: newEmail, emailVerified: true });
  });

  it('does not let a link mailed to an old address verify the new one', async () => {
    const [oldEmail, newEmail] = [address(), address()];
    const user = await registerUser(t, { email: oldEmail });
    const token = await login(t, user);
    const [oldLink] = await smtp.waitFor(oldEmail);

    await t.http.patch('/users/me').set(bearer(token)).send({ email: newEmail }).expect(200);

    await verify(tokenIn(oldLink)).expect(400);
    expect(await me(token)).toMatchObject({ email: newEmail, emailVerified: false });
  });

  it('sends an admin-created user a verification mail too', async () => {
    const email = address();
    const adminToken = await login(t, ADMIN);
    const created = await t.http
      .post('/users')
      .set(bearer(adminToken))
      .send({ username: uniqueUsername('made'), password: STRONG_PASSWORD, email })
      .expect(201);
    expect(created.body).toMatchObject({ email, emailVerified: false });
    const [mail] = await smtp.waitFor(email);
    await verify(tokenIn(mail)).expect(204);
  });
});

describe('REQUIRE_VERIFIED_EMAIL=true', () => {
  const smtp = new SmtpListener();
  let t: TestApp;

  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({ MAIL_URL: smtp.url, REQUIRE_VERIFIED_EMAIL: 'true' });
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const grant = (username: string, password: string) =>
    t.http.post('/auth/token').type('form').send({ grant_type: 'password', username, password });

  it('refuses the password grant to an unverified account with the right password only', async () => {
    const email = address();
    const user = await registerUser(t, { email });

    const denied = await grant(user.username, user.password).expect(403);
    expect(denied.body).toMatchObject({ error: 'access_denied' });
    await grant(user.username, 'not the password').expect(401);

    const [mail] = await smtp.waitFor(email);
    await t.http
      .post('/auth/verify-email')
      .send({ token: tokenIn(mail) })
      .expect(204);
    await grant(user.username, user.password).expect(200);
  });

  it('needs an email address to register, and still lets the administrator in', async () => {
    await t.http
      .post('/auth/register')
      .send({ username: uniqueUsername(), password: STRONG_PASSWORD })
      .expect(400);
    await grant(ADMIN.username, ADMIN.password).expect(200);
  });
});
