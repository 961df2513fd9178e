import { decodeJwt } from 'jose';
import { DataSource } from 'typeorm';
import { RecoveryCode } from '../src/mfa/entities/recovery-code.entity';
import { enrol, Enrolled, frozenTotp, MFA_GRANT, mfaGrant, mfaToken } from './utils/mfa';
import {
  basic,
  createClient,
  passwordGrant,
  refreshGrant,
  RegisteredClient,
  TokenPair,
} from './utils/oauth';
import {
  ADMIN,
  bearer,
  Credentials,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

describe('second factor: the password grant and the mfa grant', () => {
  let t: TestApp;
  let adminToken: string;
  let introspector: RegisteredClient;
  let totp: ReturnType<typeof frozenTotp>;

  beforeAll(async () => {
    // The wrong codes below would otherwise meet the code delays, tested in mfa-throttling.
    t = await startTestApp({ MFA_FAILURES_BEFORE_DELAY: '100' });
    adminToken = await login(t, ADMIN);
    introspector = await createClient(t, adminToken);
    totp = frozenTotp(t);
  });

  afterAll(async () => {
    await t.close();
  });

  /** A user with a factor, confirmed with the code one step back (so steps 0 and +1 are unused). */
  async function userWithFactor(): Promise<Credentials & { id: string } & Enrolled> {
    const user = await registerUser(t);
    return { ...user, ...(await enrol(t, user, await login(t, user), (s) => totp.code(s, -1))) };
  }

  const introspect = async (token: string) =>
    (
      await t.http
        .post('/auth/introspect')
        .set(basic(introspector.clientId, introspector.clientSecret))
        .type('form')
        .send({ token })
        .expect(200)
    ).body as Record<string, unknown>;

  it('logs a user without a factor in at once, with amr ["pwd"]', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    expect(decodeJwt(pair.access_token).amr).toEqual(['pwd']);
    expect(await introspect(pair.access_token)).toMatchObject({ active: true, amr: ['pwd'] });
  });

  it('answers the right password with 403 mfa_required and an opaque mfa_token, never cached', async () => {
    const user = await userWithFactor();
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password })
      .expect(403);

    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      error: 'mfa_required',
      error_description: expect.stringContaining(MFA_GRANT) as string,
      mfa_token: expect.stringMatching(/^[\w-]{43,}$/) as string,
    });
    // A wrong password is still the one answer for every failure.
    await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: 'not the password' })
      .expect(401);
  });

  it('issues tokens for a TOTP code, with amr ["pwd","otp"] kept across refreshes', async () => {
    const user = await userWithFactor();
    const response = await mfaGrant(t, await mfaToken(t, user), { otp: totp.code(user.secret) });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const pair = response.body as TokenPair;
    expect(pair).toMatchObject({ token_type: 'bearer', scope: 'profile' });
    expect(decodeJwt(pair.access_token)).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'] });
    expect(await introspect(pair.access_token)).toMatchObject({ amr: ['pwd', 'otp'] });
    expect(await introspect(pair.refresh_token)).toMatchObject({ amr: ['pwd', 'otp'] });

    const refreshed = (await refreshGrant(t, pair.refresh_token).expect(200)).body as TokenPair;
    expect(decodeJwt(refreshed.access_token).amr).toEqual(['pwd', 'otp']);
    await t.http.get('/users/me').set(bearer(refreshed.access_token)).expect(200);
  });

  it('accepts one step of drift either way, refuses two, and each code once', async () => {
    const user = await userWithFactor();
    totp.advance(3);
    for (const offset of [-2, 2]) {
      await mfaGrant(t, await mfaToken(t, user), { otp: totp.code(user.secret, offset) }).expect(
        400,
      );
    }
    for (const offset of [-1, 0, 1]) {
      const code = totp.code(user.secret, offset);
      await mfaGrant(t, await mfaToken(t, user), { otp: code }).expect(200);
      // Replayed within its window, on a new login: refused.
      await mfaGrant(t, await mfaToken(t, user), { otp: code }).expect(400);
    }
    // Nor does a code of an earlier step work once a later one has.
    await mfaGrant(t, await mfaToken(t, user), { otp: totp.code(user.secret, 0) }).expect(400);
  });

  it('takes a recovery code once, as typed, with amr ["pwd","mfa"]', async () => {
    const user = await userWithFactor();
    const [first, second] = user.recoveryCodes;
    const typed = first.toUpperCase().replace(/-/g, ' ');
    const pair = (await mfaGrant(t, await mfaToken(t, user), { recovery_code: typed }).expect(200))
      .body as TokenPair;
    expect(decodeJwt(pair.access_token).amr).toEqual(['pwd', 'mfa']);

    await mfaGrant(t, await mfaToken(t, user), { recovery_code: first }).expect(400);
    // A recovery code is not a TOTP code, nor the other way round.
    await mfaGrant(t, await mfaToken(t, user), { otp: second }).expect(400);
    await mfaGrant(t, await mfaToken(t, user), { recovery_code: second }).expect(200);
  });

  it("does not take another account's recovery code", async () => {
    const owner = await userWithFactor();
    const other = await userWithFactor();
    await mfaGrant(t, await mfaToken(t, other), { recovery_code: owner.recoveryCodes[0] }).expect(
      400,
    );
  });

  it('kills the mfa_token at the 5th wrong code, and spends it at the first right one', async () => {
    const user = await userWithFactor();
    const doomed = await mfaToken(t, user);
    for (let i = 0; i < 5; i += 1) {
      const wrong = await mfaGrant(t, doomed, { otp: '000000' }).expect(400);
      expect(wrong.body).toMatchObject({ error: 'invalid_grant' });
    }
    const dead = await mfaGrant(t, doomed, { otp: totp.code(user.secret) }).expect(400);
    expect(dead.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The mfa_token is invalid, expired or spent',
    });

    const lucky = await mfaToken(t, user);
    for (let i = 0; i < 4; i += 1) {
      await mfaGrant(t, lucky, { otp: '000000' }).expect(400);
    }
    await mfaGrant(t, lucky, { otp: totp.code(user.secret) }).expect(200);
    await mfaGrant(t, lucky, { otp: totp.code(user.secret, 1) }).expect(400);
  });

  it('gives exactly one token pair to concurrent uses of one mfa_token, spending one code', async () => {
    const user = await userWithFactor();
    const token = await mfaToken(t, user);
    const attempts = user.recoveryCodes
      .slice(0, 5)
      .map((code) => mfaGrant(t, token, { recovery_code: code }).then((r) => r.status));
    attempts.push(mfaGrant(t, token, { otp: totp.code(user.secret) }).then((r) => r.status));
    const statuses = await Promise.all(attempts);

    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200).every((status) => status === 400)).toBe(
      true,
    );
    const left = await t.app
      .get(DataSource)
      .getRepository(RecoveryCode)
      .countBy({ userId: user.id });
    const spentRecoveryCodes = 10 - left;
    // The winner spent its code; every loser's code is still good.
    expect(spentRecoveryCodes).toBe(statuses.slice(0, 5).includes(200) ? 1 : 0);
  });

  it('binds the mfa_token to the client that got it, or to no client', async () => {
    const user = await userWithFactor();
    const app = (
      await t.http
        .post('/clients')
        .set(bearer(adminToken))
        .send({ name: 'mobile-app', scopes: [], public: true })
        .expect(201)
    ).body as RegisteredClient;
    const other = await createClient(t, adminToken, { grants: ['password'], scopes: [] });
    const asApp = { client_id: app.clientId };

    const withApp = await mfaToken(t, user, {}, asApp);
    await mfaGrant(t, withApp, { otp: totp.code(user.secret) }).expect(400);
    await mfaGrant(
      t,
      withApp,
      { otp: totp.code(user.secret) },
      basic(other.clientId, other.clientSecret),
    ).expect(400);
    const pair = (
      await t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: MFA_GRANT, mfa_token: withApp, otp: totp.code(user.secret), ...asApp })
        .expect(200)
    ).body as TokenPair;
    expect(decodeJwt(pair.access_token).client_id).toBe(app.clientId);

    const withoutClient = await mfaToken(t, user);
    await t.http
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: MFA_GRANT,
        mfa_token: withoutClient,
        otp: totp.code(user.secret, 1),
        ...asApp,
      })
      .expect(400);
  });

  it('refuses a client not allowed the password grant before it looks at the mfa_token', async () => {
    const user = await userWithFactor();
    const service = await createClient(t, adminToken);
    const response = await mfaGrant(
      t,
      await mfaToken(t, user),
      { otp: totp.code(user.secret) },
      basic(service.clientId, service.clientSecret),
    ).expect(400);
    expect(response.body).toMatchObject({ error: 'unauthorized_client' });
  });

  it('voids the mfa_token when the password changes before the second step', async () => {
    const user = await userWithFactor();
    const token = await mfaToken(t, user);
    const session = await t.http
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: MFA_GRANT,
        mfa_token: await mfaToken(t, user),
        recovery_code: user.recoveryCodes[0],
      })
      .expect(200);
    await t.http
      .post('/users/me/password')
      .set(bearer((session.body as TokenPair).access_token))
      .send({ currentPassword: user.password, newPassword: 'an entirely new passphrase' })
      .expect(204);
    await mfaGrant(t, token, { otp: totp.code(user.secret) }).expect(400);
  });

  it('refuses malformed second steps with 400 invalid_request, unknown tokens with invalid_grant', async () => {
    const user = await userWithFactor();
    const token = await mfaToken(t, user);
    const code = totp.code(user.secret);
    const send = (body: Record<string, unknown>) =>
      t.http.post('/auth/token').send({ grant_type: MFA_GRANT, ...body });

    for (const body of [
      { otp: code },
      { mfa_token: token },
      { mfa_token: token, otp: code, recovery_code: user.recoveryCodes[0] },
      { mfa_token: token, otp: [code] },
      { mfa_token: ['x'], otp: code },
      { mfa_token: 'x'.repeat(129), otp: code },
    ]) {
      const response = await send(body).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    }
    for (const mfa_token of ['garbage', 'x'.repeat(43)]) {
      const response = await send({ mfa_token, otp: code }).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_grant' });
    }
    await send({ mfa_token: token, otp: '12345é' }).expect(400);
    await send({ mfa_token: token, otp: code }).expect(200);
  });
});
