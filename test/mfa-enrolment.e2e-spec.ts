import { DataSource } from 'typeorm';
import { captureLogs } from './utils/captured-logs';
import { enrol, frozenTotp, mfaGrant, mfaToken } from './utils/mfa';
import { passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const KEY_ENCRYPTION_KEY = 'a key-encryption secret for the mfa tests and long enough';

interface AuditBody {
  type: string;
  userId: string | null;
  detail: Record<string, unknown>;
}

describe('second factor: enrolment, removal and recovery codes', () => {
  let t: TestApp;
  let adminToken: string;
  let totp: ReturnType<typeof frozenTotp>;

  beforeAll(async () => {
    // The wrong codes below would otherwise meet the code delays, tested in mfa-throttling.
    t = await startTestApp({ KEY_ENCRYPTION_KEY, MFA_FAILURES_BEFORE_DELAY: '100' });
    adminToken = await login(t, ADMIN);
    totp = frozenTotp(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const me = async (token: string) =>
    (await t.http.get('/users/me').set(bearer(token)).expect(200)).body as Record<string, unknown>;

  it('enrols with the password, confirms with a code, and shows the secret and the codes once', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    expect(await me(token)).toMatchObject({ mfaEnabled: false });

    await t.http
      .post('/users/me/mfa/totp')
      .set(bearer(token))
      .send({ currentPassword: 'not the password at all' })
      .expect(401);
    const started = await t.http
      .post('/users/me/mfa/totp')
      .set(bearer(token))
      .send({ currentPassword: user.password })
      .expect(200);
    const { secret, otpauthUri, qrCode } = started.body as Record<string, string>;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    // Pending: nothing changes until confirmed.
    expect(await me(token)).toMatchObject({ mfaEnabled: false });
    await passwordGrant(t, user);

    await t.http
      .post('/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: totp.code(secret, 3) })
      .expect(400);
    const confirmed = await t.http
      .post('/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: totp.code(secret, -1) })
      .expect(200);
    const { recoveryCodes } = confirmed.body as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    recoveryCodes.forEach((code) => expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/));

    const profile = await me(token);
    expect(profile).toMatchObject({ mfaEnabled: true });
    expect(JSON.stringify(profile)).not.toContain(secret);
    const again = await t.http
      .post('/users/me/mfa/totp')
      .set(bearer(token))
      .send({ currentPassword: user.password })
      .expect(409);
    expect(JSON.stringify(again.body)).not.toContain(secret);
    await t.http
      .post('/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: totp.code(secret, 1) })
      .expect(409);
  });

  it('stores the secret sealed with KEY_ENCRYPTION_KEY and the recovery codes only as hashes', async () => {
    const user = await registerUser(t);
    const { secret, recoveryCodes } = await enrol(t, user, await login(t, user), (s) =>
      totp.code(s),
    );
    const dataSource = t.app.get(DataSource);
    const rows = JSON.stringify([
      await dataSource.query('SELECT * FROM "totp_factors"'),
      await dataSource.query('SELECT * FROM "recovery_codes"'),
    ]);

    expect(rows).toContain('sealed:v1:');
    expect(rows).not.toContain(secret);
    for (const code of recoveryCodes) {
      expect(rows).not.toContain(code);
      expect(rows).not.toContain(code.replace(/-/g, ''));
    }
  });

  it('refuses to confirm with no enrolment pending, and a code two steps away', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    await t.http
      .post('/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: '123456' })
      .expect(409);

    const started = await t.http
      .post('/users/me/mfa/totp')
      .set(bearer(token))
      .send({ currentPassword: user.password })
      .expect(200);
    const { secret } = started.body as { secret: string };
    for (const offset of [-2, 2]) {
      await t.http
        .post('/users/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: totp.code(secret, offset) })
        .expect(400);
    }
    await t.http
      .post('/users/me/mfa/totp/confirm')
      .set(bearer(token))
      .send({ code: totp.code(secret, 1) })
      .expect(200);
  });

  it('cannot be turned off through the profile: mfaEnabled is not a field anyone may set', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    await enrol(t, user, token, (s) => totp.code(s));

    await t.http.patch('/users/me').set(bearer(token)).send({ mfaEnabled: false }).expect(400);
    await t.http
      .patch(`/users/${user.id}`)
      .set(bearer(adminToken))
      .send({ mfaEnabled: false })
      .expect(400);
    expect(await me(token)).toMatchObject({ mfaEnabled: true });
    await mfaToken(t, user);
  });

  it('replaces a pending enrolment when started again, one at a time however many race', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    const start = () =>
      t.http.post('/users/me/mfa/totp').set(bearer(token)).send({ currentPassword: user.password });
    const statuses = (await Promise.all(Array.from({ length: 5 }, start))).map((r) => r.status);
    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    const first = ((await start().expect(200)).body as { secret: string }).secret;
    const second = ((await start().expect(200)).body as { secret: string }).secret;
    // A pending enrolment is no factor: an administrator has nothing to reset.
    await t.http.delete(`/users/${user.id}/mfa`).set(bearer(adminToken)).expect(404);

    const confirm = (code: string) =>
      t.http.post('/users/me/mfa/totp/confirm').set(bearer(token)).send({ code });
    await confirm(totp.code(first)).expect(400);
    await confirm(totp.code(second)).expect(200);
  });

  it('refuses malformed bodies with 400, not 500', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    for (const body of [{}, { currentPassword: 42 }, { currentPassword: 'x', extra: true }]) {
      await t.http.post('/users/me/mfa/totp').set(bearer(token)).send(body).expect(400);
    }
    for (const body of [{}, { code: 123456 }, { code: ['123456'] }, { code: '1'.repeat(65) }]) {
      await t.http.post('/users/me/mfa/totp/confirm').set(bearer(token)).send(body).expect(400);
    }
  });

  it('ends the other sessions when the factor is turned on, and again when it is turned off', async () => {
    const user = await registerUser(t);
    const current = await passwordGrant(t, user);
    const other = await passwordGrant(t, user);
    const { secret, recoveryCodes } = await enrol(t, user, current.access_token, (s) =>
      totp.code(s, -1),
    );

    await t.http.get('/users/me').set(bearer(other.access_token)).expect(401);
    await refreshGrant(t, other.refresh_token).expect(400);
    await t.http.get('/users/me').set(bearer(current.access_token)).expect(200);

    const second = (
      await mfaGrant(t, await mfaToken(t, user), { otp: totp.code(secret) }).expect(200)
    ).body as TokenPair;
    const disable = (body: object) =>
      t.http.delete('/users/me/mfa/totp').set(bearer(current.access_token)).send(body);
    await disable({
      currentPassword: 'not the password at all',
      code: totp.code(secret, 1),
    }).expect(401);
    await disable({ currentPassword: user.password, code: '000000' }).expect(400);
    await disable({ currentPassword: user.password, code: recoveryCodes[0] }).expect(204);

    await t.http.get('/users/me').set(bearer(second.access_token)).expect(401);
    expect(await me(current.access_token)).toMatchObject({ mfaEnabled: false });
    await passwordGrant(t, user);
    await disable({ currentPassword: user.password, code: totp.code(secret, 1) }).expect(409);
  });

  it('replaces the recovery codes: the old ones die, the new ones log in', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    const { secret, recoveryCodes: old } = await enrol(t, user, token, (s) => totp.code(s, -1));

    await t.http
      .post('/users/me/mfa/recovery-codes')
      .set(bearer(token))
      .send({ code: '000000' })
      .expect(400);
    const replaced = await t.http
      .post('/users/me/mfa/recovery-codes')
      .set(bearer(token))
      .send({ code: totp.code(secret) })
      .expect(200);
    const { recoveryCodes } = replaced.body as { recoveryCodes: string[] };
    expect(recoveryCodes).toHaveLength(10);
    expect(recoveryCodes.some((code) => old.includes(code))).toBe(false);

    await mfaGrant(t, await mfaToken(t, user), { recovery_code: old[0] }).expect(400);
    await mfaGrant(t, await mfaToken(t, user), { recovery_code: recoveryCodes[0] }).expect(200);
  });

  it('lets an administrator remove a factor, which ends every session of the user', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, user);
    await enrol(t, user, pair.access_token, (s) => totp.code(s));

    await t.http.delete(`/users/${user.id}/mfa`).set(bearer(pair.access_token)).expect(403);
    await t.http
      .delete('/users/00000000-0000-4000-8000-000000000000/mfa')
      .set(bearer(adminToken))
      .expect(404);
    await t.http.delete(`/users/${user.id}/mfa`).set(bearer(adminToken)).expect(204);

    await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
    await refreshGrant(t, pair.refresh_token).expect(400);
    expect(await me((await passwordGrant(t, user)).access_token)).toMatchObject({
      mfaEnabled: false,
    });
    await t.http.delete(`/users/${user.id}/mfa`).set(bearer(adminToken)).expect(404);
  });

  it('records each change for the user, and no secret, code or mfa_token in the audit log or the logs', async () => {
    const logs = captureLogs();
    try {
      const user = await registerUser(t);
      const token = await login(t, user);
      const { secret, recoveryCodes } = await enrol(t, user, token, (s) => totp.code(s, -1));
      const wrongToken = await mfaToken(t, user);
      await mfaGrant(t, wrongToken, { otp: '000000' }).expect(400);
      const usedToken = await mfaToken(t, user);
      await mfaGrant(t, usedToken, { recovery_code: recoveryCodes[1] }).expect(200);
      await t.http
        .delete('/users/me/mfa/totp')
        .set(bearer(token))
        .send({ currentPassword: user.password, code: totp.code(secret) })
        .expect(204);
      await enrol(t, user, token, (s) => totp.code(s, 1));
      await t.http.delete(`/users/${user.id}/mfa`).set(bearer(adminToken)).expect(204);

      const events = (
        await t.http.get(`/audit?userId=${user.id}&limit=100`).set(bearer(adminToken)).expect(200)
      ).body as AuditBody[];
      const types = events.map((event) => event.type);
      for (const type of [
        'mfa_enabled',
        'mfa_challenge_failed',
        'recovery_code_used',
        'mfa_disabled',
        'mfa_reset_by_admin',
      ]) {
        expect(types).toContain(type);
      }
      expect(events.every((event) => event.userId === user.id)).toBe(true);
      const written = JSON.stringify(events) + JSON.stringify(logs.lines());
      for (const secretValue of [secret, wrongToken, usedToken, ...recoveryCodes]) {
        expect(written).not.toContain(secretValue);
      }
    } finally {
      logs.release();
    }
  });
});
