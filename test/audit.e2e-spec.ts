import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../src/audit/audit.service';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { basic, createClient, passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

interface AuditBody {
  id: string;
  type: string;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: string;
  detail: Record<string, unknown>;
}

describe('the audit log', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
  });

  const audit = async (query: string) =>
    (await t.http.get(`/audit?${query}`).set(bearer(adminToken)).expect(200)).body as AuditBody[];

  it('records every event the contract lists, with ip and user agent, and no secret', async () => {
    const secrets: string[] = [];
    const registered = await registerUser(t);
    secrets.push(registered.password);
    await t.http
      .post('/auth/token')
      .set('User-Agent', 'audit-test/1.0')
      .send({ username: registered.username, password: 'not the password at all' })
      .expect(401);
    const pair = await passwordGrant(t, registered, {}, { 'User-Agent': 'audit-test/1.0' });
    const refreshed = (await refreshGrant(t, pair.refresh_token).expect(200)).body as TokenPair;
    await refreshGrant(t, pair.refresh_token).expect(401);
    const second = await passwordGrant(t, registered);
    await t.http
      .post('/auth/revoke')
      .type('form')
      .send({ token: second.refresh_token })
      .expect(200);
    const third = await passwordGrant(t, registered);
    await t.http
      .post('/users/me/password')
      .set(bearer(third.access_token))
      .send({ currentPassword: registered.password, newPassword: 'a very new secret passphrase' })
      .expect(204);
    secrets.push(
      'a very new secret passphrase',
      pair.access_token,
      pair.refresh_token,
      refreshed.refresh_token,
    );

    const created = await t.http
      .post('/users')
      .set(bearer(adminToken))
      .send({
        username: `made.${randomUUID().slice(0, 8)}`,
        password: 'an admin made this passphrase',
      })
      .expect(201);
    const madeId = (created.body as { id: string }).id;
    await t.http
      .patch(`/users/${madeId}`)
      .set(bearer(adminToken))
      .send({ fullName: 'X', disabled: true })
      .expect(200);
    await t.http.delete(`/users/${madeId}`).set(bearer(adminToken)).expect(204);
    const client = await createClient(t, adminToken);
    secrets.push(client.clientSecret);
    await t.http
      .post('/auth/token')
      .set(basic(client.clientId, client.clientSecret))
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    await t.http.delete(`/clients/${client.clientId}`).set(bearer(adminToken)).expect(204);
    await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(201);

    const byUser = await audit(`userId=${registered.id}&limit=200`);
    const types = new Set(byUser.map((event) => event.type));
    for (const type of [
      'user_registered',
      'login_failed',
      'login_succeeded',
      'token_refreshed',
      'refresh_reuse_detected',
      'token_revoked',
      'password_changed',
    ]) {
      expect({ type, recorded: types.has(type) }).toEqual({ type, recorded: true });
    }
    const successes = byUser.filter((event) => event.type === 'login_succeeded');
    expect(successes.find((event) => event.userAgent === 'audit-test/1.0')).toMatchObject({
      ip: expect.any(String),
      detail: { outcome: 'success' },
    });
    expect(byUser.find((event) => event.type === 'login_failed')?.detail).toMatchObject({
      outcome: 'failure',
      reason: 'credentials',
    });

    const made = await audit(`userId=${madeId}`);
    expect(made.map((event) => event.type).sort()).toEqual([
      'user_created',
      'user_deleted',
      'user_disabled',
      'user_updated',
    ]);
    const all = await audit('limit=200');
    for (const type of ['client_created', 'client_deleted', 'key_rotated']) {
      expect(all.some((event) => event.type === type)).toBe(true);
    }
    // A client's token is its login; a user's is on record as login_succeeded or token_refreshed.
    expect(all.filter((event) => event.type === 'token_issued')).toEqual([
      expect.objectContaining({
        clientId: client.clientId,
        userId: null,
        detail: expect.objectContaining({ grant: 'client_credentials' }),
      }),
    ]);

    const everything = JSON.stringify(await t.app.get(DataSource).getRepository(AuditEvent).find());
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
    }
  });

  it('records a failed login for an unknown username with a marker, never the name typed', async () => {
    // A password typed into the username field must not land in the audit log.
    const typed = 'Typed.My.Password.Here.2026';
    await t.http
      .post('/auth/token')
      // A tab: the one control character HTTP lets through in a header value.
      .set('User-Agent', 'agent\t/1.0')
      .send({ username: typed, password: 'whatever it is' })
      .expect(401);
    const failures = await audit('type=login_failed&limit=5');
    expect(failures[0]).toMatchObject({
      userId: null,
      userAgent: 'agent/1.0',
      detail: { outcome: 'failure', reason: 'credentials', unknownUsername: true },
    });
    const everything = JSON.stringify(await t.app.get(DataSource).getRepository(AuditEvent).find());
    expect(everything.toLowerCase()).not.toContain(typed.toLowerCase());
  });

  it('pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i += 1) {
      await t.http
        .post('/auth/token')
        .send({ username: `pager.${i}`, password: 'whatever it is' })
        .expect(401);
    }
    const first = await audit('type=login_failed&limit=2');
    const second = await audit(`type=login_failed&limit=2&before=${first[1].id}`);
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(2);
    expect(first.map((event) => event.id)).not.toContain(second[0].id);
    expect(Date.parse(second[0].at)).toBeLessThanOrEqual(Date.parse(first[1].at));
  });

  it('refuses non-admins with 403, anonymous callers with 401, bad filters with 400', async () => {
    const user = await login(t, await registerUser(t));
    await t.http.get('/audit').set(bearer(user)).expect(403);
    await t.http.get('/audit').expect(401);
    for (const query of ['userId=nope', 'type=not_a_type', 'limit=0', 'limit=1000', 'before=1']) {
      await t.http.get(`/audit?${query}`).set(bearer(adminToken)).expect(400);
    }
  });

  it('deletes events older than AUDIT_RETENTION_DAYS', async () => {
    const events = t.app.get(DataSource).getRepository(AuditEvent);
    const old = randomUUID();
    await events.insert({
      id: old,
      type: 'login_failed',
      userId: null,
      clientId: null,
      ip: null,
      userAgent: null,
      at: new Date(Date.now() - 400 * 86400 * 1000),
      detail: {},
    });
    expect(await t.app.get(AuditService).purgeExpired(Date.now())).toBeGreaterThanOrEqual(1);
    expect(await events.existsBy({ id: old })).toBe(false);
    expect(await events.count()).toBeGreaterThan(0);
  });
});
