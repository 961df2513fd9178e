import { DataSource } from 'typeorm';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity';
import { Session } from '../src/sessions/entities/session.entity';
import { passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const ROUNDS = 5;
/** About one login's argon2 time: the first logins are mid-flight when the change starts. */
const CHANGE_AFTER_MS = 40;

describe('refresh tokens', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    // The race tests below send dozens of logins whose password is wrong by the time they are
    // checked; the login throttle would then delay the user's next, correct login.
    t = await startTestApp({
      LOGIN_FAILURES_BEFORE_DELAY: '1000',
      ACCOUNT_FAILURE_CEILING: '100000',
    });
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
  });

  const repo = <T extends object>(entity: new () => T) =>
    t.app.get(DataSource).getRepository(entity);

  it('issues an opaque 256-bit refresh token with the password grant, stored only as a hash', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await repo(RefreshToken).find();
    expect(stored.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toContain(pair.refresh_token);
  });

  it('rotates: a new access and refresh token, and the old refresh token is spent', async () => {
    const first = await passwordGrant(t, await registerUser(t));
    const response = await refreshGrant(t, first.refresh_token).expect(200);
    const second = response.body as TokenPair;
    expect(response.headers['cache-control']).toBe('no-store');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second).toMatchObject({ token_type: 'bearer', scope: 'profile' });
    await t.http.get('/users/me').set(bearer(second.access_token)).expect(200);
    await refreshGrant(t, second.refresh_token).expect(200);
  });

  it('treats a spent refresh token as theft: 401, the successor dies too, and it is audited', async () => {
    const user = await registerUser(t);
    const first = await passwordGrant(t, user);
    const second = (await refreshGrant(t, first.refresh_token).expect(200)).body as TokenPair;

    const reuse = await refreshGrant(t, first.refresh_token).expect(401);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });
    // Presented again, it is still a spent token: 401 again, not the 400 of an unknown one.
    const again = await refreshGrant(t, first.refresh_token).expect(401);
    expect(again.body).toMatchObject({ error: 'invalid_grant' });

    const successor = await refreshGrant(t, second.refresh_token).expect(400);
    expect(successor.body).toMatchObject({ error: 'invalid_grant' });
    await t.http.get('/users/me').set(bearer(second.access_token)).expect(401);
    await t.http.get('/users/me').set(bearer(first.access_token)).expect(401);

    const events = await repo(AuditEvent).findBy({
      type: 'refresh_reuse_detected',
      userId: user.id,
    });
    expect(events).toHaveLength(2);
    expect(JSON.stringify(events)).not.toContain(first.refresh_token);
  });

  it('lets exactly one of 20 concurrent refreshes of one token succeed, round after round', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const pair = await passwordGrant(t, await registerUser(t));
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => refreshGrant(t, pair.refresh_token)),
      );
      const statuses = responses.map((response) => response.status);
      expect({ round, ok: statuses.filter((status) => status === 200).length }).toEqual({
        round,
        ok: 1,
      });
      expect(statuses.every((status) => status === 200 || status === 401 || status === 400)).toBe(
        true,
      );
    }
  });

  it('leaves nothing of the family alive when a revoke races a refresh', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const pair = await passwordGrant(t, await registerUser(t));
      const [refreshed, revoked] = await Promise.all([
        refreshGrant(t, pair.refresh_token),
        t.http.post('/auth/revoke').type('form').send({ token: pair.refresh_token }),
      ]);
      expect(revoked.status).toBe(200);
      await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
      if (refreshed.status === 200) {
        const successor = refreshed.body as TokenPair;
        await refreshGrant(t, successor.refresh_token).expect(400);
        await t.http.get('/users/me').set(bearer(successor.access_token)).expect(401);
      }
    }
  });

  it('answers a refresh token that is not one of ours in any way with 400 invalid_grant', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    for (const token of [
      'nope',
      'x'.repeat(43),
      'x'.repeat(10_000),
      pair.access_token,
      '\u00e9t\u00e9',
    ]) {
      const response = await refreshGrant(t, token).expect(400);
      expect(response.body).toEqual({
        error: 'invalid_grant',
        error_description: 'The refresh token is invalid, expired or revoked',
      });
    }
  });

  it('answers a missing or mistyped refresh token with 400 invalid_request', async () => {
    for (const body of [
      { grant_type: 'refresh_token' },
      { grant_type: 'refresh_token', refresh_token: '' },
      { grant_type: 'refresh_token', refresh_token: ['a'] },
    ]) {
      const response = await t.http.post('/auth/token').send(body).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('ends a family after its idle lifetime and after its absolute lifetime', async () => {
    const idleUser = await registerUser(t);
    const idle = await passwordGrant(t, idleUser);
    const idleSession = await repo(Session).findOneByOrFail({ userId: idleUser.id });
    await repo(RefreshToken).update(
      { sessionId: idleSession.id },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    await refreshGrant(t, idle.refresh_token).expect(400);

    const absoluteUser = await registerUser(t);
    const absolute = await passwordGrant(t, absoluteUser);
    await repo(Session).update(
      { userId: absoluteUser.id },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    await refreshGrant(t, absolute.refresh_token).expect(400);
    await t.http.get('/users/me').set(bearer(absolute.access_token)).expect(401);
  });

  it('narrows the scope on refresh but never widens it', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const narrowed = await refreshGrant(t, pair.refresh_token, { scope: 'profile' }).expect(200);
    const widened = await refreshGrant(t, (narrowed.body as TokenPair).refresh_token, {
      scope: 'profile admin',
    }).expect(400);
    expect(widened.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('ends every session when the password changes, the account is disabled or deleted', async () => {
    const changer = await registerUser(t);
    const changerPair = await passwordGrant(t, changer);
    await t.http
      .post('/users/me/password')
      .set(bearer(changerPair.access_token))
      .send({ currentPassword: changer.password, newPassword: 'a completely different passphrase' })
      .expect(204);
    await refreshGrant(t, changerPair.refresh_token).expect(400);

    const disabled = await registerUser(t);
    const disabledPair = await passwordGrant(t, disabled);
    await t.http
      .patch(`/users/${disabled.id}`)
      .set(bearer(adminToken))
      .send({ disabled: true })
      .expect(200);
    await t.http
      .patch(`/users/${disabled.id}`)
      .set(bearer(adminToken))
      .send({ disabled: false })
      .expect(200);
    await refreshGrant(t, disabledPair.refresh_token).expect(400);

    const deleted = await registerUser(t);
    const deletedPair = await passwordGrant(t, deleted);
    await t.http.delete(`/users/${deleted.id}`).set(bearer(adminToken)).expect(204);
    await refreshGrant(t, deletedPair.refresh_token).expect(400);
  });

  /**
   * Logins with the old password, sent every few milliseconds from a little before `change` starts
   * until it has ended. The ones whose password check read the account before the change can finish
   * after it revoked the sessions: none of them may leave a session that refreshes or lists. The
   * lead keeps logins in flight when the change lands even when it is quick (a disable, on
   * PostgreSQL, can end before a login sent with it has read the account).
   */
  async function loginsRacing(
    user: { username: string; password: string },
    change: () => PromiseLike<unknown>,
  ): Promise<TokenPair[]> {
    const logins: Array<Promise<{ status: number; body: unknown }>> = [];
    const started = Date.now();
    let changed: Promise<unknown> | undefined;
    let changing = true;
    while (changing) {
      logins.push(
        t.http
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'password', username: user.username, password: user.password })
          .then((response) => response),
      );
      await new Promise((resolve) => setTimeout(resolve, 8));
      if (!changed && Date.now() - started >= CHANGE_AFTER_MS) {
        changed = Promise.resolve(change()).finally(() => (changing = false));
      }
    }
    await changed;
    return (await Promise.all(logins))
      .filter((response) => response.status === 200)
      .map((response) => response.body as TokenPair);
  }

  it('leaves no session alive from a login that raced a password change', async () => {
    let raced = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await registerUser(t);
      const pair = await passwordGrant(t, user);
      const newPassword = 'a completely different passphrase';
      const winners = await loginsRacing(user, () =>
        t.http
          .post('/users/me/password')
          .set(bearer(pair.access_token))
          .send({ currentPassword: user.password, newPassword })
          .expect(204),
      );
      raced += winners.length;
      // Listed before any of them is presented: the list must not count them as live either.
      const fresh = await passwordGrant(t, { ...user, password: newPassword });
      const sessions = await t.http
        .get('/users/me/sessions')
        .set(bearer(fresh.access_token))
        .expect(200);
      expect(sessions.body).toHaveLength(1);
      for (const winner of winners) {
        await refreshGrant(t, winner.refresh_token).expect(400);
        await t.http.get('/users/me').set(bearer(winner.access_token)).expect(401);
      }
    }
    // Otherwise the test proved nothing: some logins must have passed the old password's check.
    expect(raced).toBeGreaterThan(0);
  });

  it('leaves no session alive from a login that raced a disable, even after re-enabling', async () => {
    let raced = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await registerUser(t);
      const winners = await loginsRacing(user, () =>
        t.http
          .patch(`/users/${user.id}`)
          .set(bearer(adminToken))
          .send({ disabled: true })
          .expect(200),
      );
      raced += winners.length;
      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: false })
        .expect(200);
      for (const winner of winners) {
        await refreshGrant(t, winner.refresh_token).expect(400);
        await t.http.get('/users/me').set(bearer(winner.access_token)).expect(401);
      }
    }
    expect(raced).toBeGreaterThan(0);
  });

  it('answers logins and refreshes racing the deletion of the account with 4xx, never a 500', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await registerUser(t);
      const pairs = await Promise.all(Array.from({ length: 8 }, () => passwordGrant(t, user)));
      const requests = [
        ...pairs.map((pair) => refreshGrant(t, pair.refresh_token).then((r) => r)),
        ...Array.from({ length: 8 }, () =>
          t.http
            .post('/auth/token')
            .type('form')
            .send({ grant_type: 'password', username: user.username, password: user.password })
            .then((r) => r),
        ),
      ];
      // Sent while the logins are between their password check and their session's insert.
      await new Promise((resolve) => setTimeout(resolve, 5 * round));
      await t.http.delete(`/users/${user.id}`).set(bearer(adminToken)).expect(204);
      const statuses = (await Promise.all(requests)).map((response) => response.status);
      expect(statuses.filter((status) => ![200, 400, 401].includes(status))).toEqual([]);
      for (const pair of pairs) {
        await refreshGrant(t, pair.refresh_token).expect(400);
      }
    }
  });
});

describe('refresh tokens with REFRESH_REUSE_GRACE', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REFRESH_REUSE_GRACE: '30' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers a replay of the parent within the grace with the same successor pair', async () => {
    const first = await passwordGrant(t, await registerUser(t));
    const second = (await refreshGrant(t, first.refresh_token).expect(200)).body as TokenPair;
    const replayed = (await refreshGrant(t, first.refresh_token).expect(200)).body as TokenPair;
    expect(replayed.refresh_token).toBe(second.refresh_token);
    expect(replayed.access_token).toBe(second.access_token);
    await t.http.get('/users/me').set(bearer(replayed.access_token)).expect(200);
  });

  it('answers 20 concurrent presentations of one token with one successor pair, however they interleave', async () => {
    for (let round = 0; round < 3; round++) {
      const first = await passwordGrant(t, await registerUser(t));
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => refreshGrant(t, first.refresh_token)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      const pairs = answers.map((answer) => answer.body as TokenPair);
      expect(new Set(pairs.map((pair) => pair.refresh_token)).size).toBe(1);
      // The family is alive: the successor works, once.
      await t.http.get('/users/me').set(bearer(pairs[0].access_token)).expect(200);
      await refreshGrant(t, pairs[0].refresh_token).expect(200);
    }
  });

  it('treats a replay of the parent as theft once the successor has been used', async () => {
    const first = await passwordGrant(t, await registerUser(t));
    const second = (await refreshGrant(t, first.refresh_token).expect(200)).body as TokenPair;
    const third = (await refreshGrant(t, second.refresh_token).expect(200)).body as TokenPair;
    await refreshGrant(t, first.refresh_token).expect(401);
    await refreshGrant(t, third.refresh_token).expect(400);
  });
});
