import { DataSource } from 'typeorm';
import { PersonalAccessToken } from '../src/personal-access-tokens/entities/personal-access-token.entity';
import { captureLogs, CapturedLogs } from './utils/captured-logs';
import { basic, createClient, RegisteredClient } from './utils/oauth';
import {
  CreatedPersonalAccessToken,
  createPersonalAccessToken,
  withBadChecksum,
} from './utils/personal-access-tokens';
import {
  ADMIN,
  bearer,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
} from './utils/test-app';

const DAY_MS = 86_400_000;
/** The pattern docs/security.md gives secret scanners. */
const SCANNER_PATTERN = /\bpat_[0-9A-Za-z]{49}\b/;

describe('personal access tokens', () => {
  let t: TestApp;
  let adminToken: string;
  let logs: CapturedLogs;
  const issued: string[] = [];

  beforeAll(async () => {
    logs = captureLogs();
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
    logs.release();
  });

  /** A new user, a session access token of theirs, and a personal access token made with it. */
  async function userWithToken(body: { scopes?: string[]; expiresAt?: string } = {}) {
    const user = await registerUser(t);
    const session = await login(t, user);
    const created = await createPersonalAccessToken(t, session, body);
    issued.push(created.token);
    return { user, session, created, pat: created.token };
  }

  const me = (token: string) => t.http.get('/users/me').set(bearer(token));

  describe('creation', () => {
    it('answers 201 with the token once, in the documented format, scoped to profile for 90 days', async () => {
      const user = await registerUser(t);
      const session = await login(t, user);
      const before = Date.now();

      const response = await t.http
        .post('/users/me/tokens')
        .set(bearer(session))
        .send({ name: 'nightly backup' })
        .expect(201);

      const body = response.body as CreatedPersonalAccessToken;
      issued.push(body.token);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(Object.keys(body).sort()).toEqual(
        ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'scopes', 'token'].sort(),
      );
      expect(body).toMatchObject({ name: 'nightly backup', scopes: ['profile'], lastUsedAt: null });
      expect(body.token).toMatch(/^pat_[0-9A-Za-z]{49}$/);
      expect(body.token).toMatch(SCANNER_PATTERN);
      const lifetime = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
      expect(lifetime).toBe(90 * DAY_MS);
      expect(Date.parse(body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    });

    it('never lists the token, nor stores it: the database holds only its SHA-256', async () => {
      const { session, created, pat } = await userWithToken();

      const listed = await t.http.get('/users/me/tokens').set(bearer(session)).expect(200);

      expect(listed.body).toEqual([
        {
          id: created.id,
          name: created.name,
          scopes: ['profile'],
          createdAt: created.createdAt,
          expiresAt: created.expiresAt,
          lastUsedAt: null,
        },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(pat.slice(4));
      const rows = await t.app
        .get(DataSource)
        .getRepository(PersonalAccessToken)
        .createQueryBuilder('token')
        .addSelect('token.tokenHash')
        .where('token.id = :id', { id: created.id })
        .getRawMany<Record<string, unknown>>();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(pat.slice(4));
      expect(rows[0].token_tokenHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('takes an expiry up to 365 days ahead, and refuses one further, past or malformed with 400', async () => {
      const user = await registerUser(t);
      const session = await login(t, user);
      const almostAYear = new Date(Date.now() + 364 * DAY_MS).toISOString();

      const created = await createPersonalAccessToken(t, session, { expiresAt: almostAYear });
      expect(created.expiresAt).toBe(almostAYear);

      for (const expiresAt of [
        new Date(Date.now() + 366 * DAY_MS).toISOString(),
        new Date(Date.now() - 1000).toISOString(),
        'next tuesday',
        '2030-02-30T00:00:00Z',
        null,
        1_900_000_000,
      ]) {
        const response = await t.http
          .post('/users/me/tokens')
          .set(bearer(session))
          .send({ name: 'too long', expiresAt });
        expect({ expiresAt, status: response.status }).toEqual({ expiresAt, status: 400 });
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect((response.body as { errors: Array<{ field: string }> }).errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'expiresAt' })]),
        );
      }
    });

    it('refuses unknown scopes, no scope, the admin scope without the admin role, and fields it does not take', async () => {
      const user = await registerUser(t);
      const session = await login(t, user);

      for (const body of [
        { name: 'x', scopes: ['profile', 'write:everything'] },
        { name: 'x', scopes: [] },
        { name: 'x', scopes: ['admin'] },
        { name: 'x', userId: user.id },
        { name: 'x', token: 'pat_chosen' },
        { name: '' },
        { name: 'a\u0000b' },
        { name: 'x'.repeat(101) },
        {},
      ]) {
        const response = await t.http.post('/users/me/tokens').set(bearer(session)).send(body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
      }
      const listed = await t.http.get('/users/me/tokens').set(bearer(session)).expect(200);
      expect(listed.body).toEqual([]);
    });

    it('allows 50 live tokens per user, then answers 409 until one is revoked', async () => {
      const user = await registerUser(t);
      const session = await login(t, user);
      const made = await Promise.all(
        Array.from({ length: 50 }, () => createPersonalAccessToken(t, session)),
      );

      const refused = await t.http
        .post('/users/me/tokens')
        .set(bearer(session))
        .send({ name: 'one too many' })
        .expect(409);
      expect(refused.headers['content-type']).toContain('application/problem+json');

      await t.http.delete(`/users/me/tokens/${made[0].id}`).set(bearer(session)).expect(204);
      await createPersonalAccessToken(t, session);
    });

    it('records pat_created and pat_revoked, with the token id but never the token', async () => {
      const { user, session, created, pat } = await userWithToken();
      await t.http.delete(`/users/me/tokens/${created.id}`).set(bearer(session)).expect(204);

      const audit = await t.http
        .get(`/audit?userId=${user.id}`)
        .set(bearer(adminToken))
        .expect(200);

      const events = audit.body as Array<{ type: string; detail: Record<string, unknown> }>;
      expect(events.find((event) => event.type === 'pat_created')?.detail).toMatchObject({
        tokenId: created.id,
        name: created.name,
        scopes: 'profile',
      });
      expect(events.find((event) => event.type === 'pat_revoked')?.detail).toMatchObject({
        tokenId: created.id,
        revokedBy: 'owner',
      });
      expect(JSON.stringify(events)).not.toContain(pat.slice(4));
    });
  });

  describe('as a bearer token', () => {
    it('is accepted where an access token is, for the same user', async () => {
      const { user, pat } = await userWithToken();

      const response = await me(pat).expect(200);
      expect(response.body).toMatchObject({ id: user.id, username: user.username });
      await t.http.get('/users/me/sessions').set(bearer(pat)).expect(200);
    });

    it('is refused with 401 when one character is wrong, and so is a token of the wrong shape', async () => {
      const { pat } = await userWithToken();

      for (const token of [withBadChecksum(pat), pat.slice(0, -1), `${pat}a`, 'pat_', 'pat_x']) {
        const response = await me(token);
        expect({ token, status: response.status }).toEqual({ token, status: 401 });
        expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
      }
    });

    it('is refused once expired', async () => {
      const { created, pat } = await userWithToken();
      await me(pat).expect(200);

      await t.app
        .get(DataSource)
        .getRepository(PersonalAccessToken)
        .update({ id: created.id }, { expiresAt: new Date(Date.now() - 1000) });

      await me(pat).expect(401);
    });

    it('keeps working across a password change, which ends the session tokens', async () => {
      const { user, session, pat } = await userWithToken();

      await t.http
        .post('/users/me/password')
        .set(bearer(session))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD} renewed` })
        .expect(204);

      await me(session).expect(401);
      await me(pat).expect(200);
      expect(user.id).toBeDefined();
    });

    it('answers 403 while the account is disabled, and stays dead once it is enabled again', async () => {
      const { user, pat } = await userWithToken();
      await me(pat).expect(200);

      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: true })
        .expect(200);
      const refused = await me(pat).expect(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');

      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: false })
        .expect(200);
      await me(pat).expect(401);
    });

    it("is refused once the account is deleted, and the account's rows go with it", async () => {
      const { user, pat } = await userWithToken();
      await me(pat).expect(200);

      await t.http.delete(`/users/${user.id}`).set(bearer(adminToken)).expect(204);

      await me(pat).expect(401);
      const left = await t.app
        .get(DataSource)
        .getRepository(PersonalAccessToken)
        .countBy({ userId: user.id });
      expect(left).toBe(0);
    });

    it('cannot make tokens or change the password: 403 problem+json, nothing done', async () => {
      const { session, pat } = await userWithToken();

      const create = await t.http
        .post('/users/me/tokens')
        .set(bearer(pat))
        .send({ name: 'from a pat' })
        .expect(403);
      expect(create.headers['content-type']).toContain('application/problem+json');
      expect((create.body as { detail: string }).detail).toContain('personal access token');
      await t.http
        .post('/users/me/password')
        .set(bearer(pat))
        .send({ currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD} by pat` })
        .expect(403);

      const listed = await t.http.get('/users/me/tokens').set(bearer(session)).expect(200);
      expect(listed.body).toHaveLength(1);
      await me(session).expect(200);
    });

    it('needs the scope each route declares', async () => {
      const admin = await createPersonalAccessToken(t, adminToken, { scopes: ['admin'] });
      issued.push(admin.token);

      await me(admin.token).expect(403);
      await t.http.get('/users').set(bearer(admin.token)).expect(200);
    });
  });

  describe('revocation', () => {
    it('by its owner: 204, refused at once, gone from the list; 404 the second time', async () => {
      const { session, created, pat } = await userWithToken();
      await me(pat).expect(200);

      await t.http.delete(`/users/me/tokens/${created.id}`).set(bearer(session)).expect(204);

      await me(pat).expect(401);
      const listed = await t.http.get('/users/me/tokens').set(bearer(session)).expect(200);
      expect(listed.body).toEqual([]);
      await t.http.delete(`/users/me/tokens/${created.id}`).set(bearer(session)).expect(404);
    });

    it("cannot touch another user's token: 404, and that token keeps working", async () => {
      const victim = await userWithToken();
      const attacker = await registerUser(t);
      const attackerSession = await login(t, attacker);

      await t.http
        .delete(`/users/me/tokens/${victim.created.id}`)
        .set(bearer(attackerSession))
        .expect(404);

      await me(victim.pat).expect(200);
    });

    it('a token can revoke itself', async () => {
      const { created, pat } = await userWithToken();

      await t.http.delete(`/users/me/tokens/${created.id}`).set(bearer(pat)).expect(204);

      await me(pat).expect(401);
    });

    it('through /auth/revoke (RFC 7009): 200, refused from then on; 200 too for a bad checksum', async () => {
      const { user, pat } = await userWithToken();

      await t.http.post('/auth/revoke').type('form').send({ token: pat }).expect(200);
      await t.http
        .post('/auth/revoke')
        .type('form')
        .send({ token: withBadChecksum(pat) })
        .expect(200);

      await me(pat).expect(401);
      const audit = await t.http
        .get(`/audit?userId=${user.id}&type=pat_revoked`)
        .set(bearer(adminToken))
        .expect(200);
      expect(audit.body).toEqual([
        expect.objectContaining({
          detail: expect.objectContaining({ revokedBy: 'revocation_endpoint' }),
        }),
      ]);
    });
  });

  describe('administration', () => {
    it("lists a user's tokens (no token) and revokes one, for an admin; 404 for unknown ids", async () => {
      const { user, created, pat } = await userWithToken();

      const listed = await t.http
        .get(`/users/${user.id}/tokens`)
        .set(bearer(adminToken))
        .expect(200);
      expect(listed.body).toEqual([
        expect.objectContaining({ id: created.id, name: created.name }),
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(pat.slice(4));

      const unknown = '00000000-0000-4000-8000-000000000000';
      await t.http.get(`/users/${unknown}/tokens`).set(bearer(adminToken)).expect(404);
      await t.http
        .delete(`/users/${unknown}/tokens/${created.id}`)
        .set(bearer(adminToken))
        .expect(404);
      await t.http
        .delete(`/users/${user.id}/tokens/${created.id}`)
        .set(bearer(adminToken))
        .expect(204);

      await me(pat).expect(401);
      const audit = await t.http
        .get(`/audit?userId=${user.id}&type=pat_revoked`)
        .set(bearer(adminToken))
        .expect(200);
      expect(audit.body).toEqual([
        expect.objectContaining({ detail: expect.objectContaining({ revokedBy: 'admin' }) }),
      ]);
    });

    it('refuses those routes to a non-admin, even for their own id', async () => {
      const { user, session, created } = await userWithToken();

      await t.http.get(`/users/${user.id}/tokens`).set(bearer(session)).expect(403);
      await t.http
        .delete(`/users/${user.id}/tokens/${created.id}`)
        .set(bearer(session))
        .expect(403);
    });

    it("needs the admin role AND the admin scope on a token: an admin's profile token gets 403", async () => {
      const profileOnly = await createPersonalAccessToken(t, adminToken, { scopes: ['profile'] });
      const both = await createPersonalAccessToken(t, adminToken, {
        scopes: ['profile', 'admin'],
      });
      issued.push(profileOnly.token, both.token);

      const refused = await t.http.get('/users').set(bearer(profileOnly.token)).expect(403);
      expect((refused.body as { detail: string }).detail).toContain('admin scope');
      await t.http.get('/users').set(bearer(both.token)).expect(200);
      await me(both.token).expect(200);
    });

    it('loses the admin routes with the admin role, whatever its scopes', async () => {
      const admin = await registerUser(t);
      await t.http
        .patch(`/users/${admin.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const { token } = await createPersonalAccessToken(t, await login(t, admin), {
        scopes: ['admin'],
      });
      issued.push(token);
      await t.http.get('/users').set(bearer(token)).expect(200);

      await t.http
        .patch(`/users/${admin.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['user'] })
        .expect(200);

      await t.http.get('/users').set(bearer(token)).expect(403);
    });
  });

  describe('introspection (RFC 7662)', () => {
    let client: RegisteredClient;

    beforeAll(async () => {
      client = await createClient(t, adminToken);
    });

    const introspect = (token: string) =>
      t.http
        .post('/auth/introspect')
        .set(basic(client.clientId, client.clientSecret))
        .type('form')
        .send({ token })
        .expect(200);

    it('describes a live token as personal_access_token, without the jti and aud it lacks', async () => {
      const { user, created, pat } = await userWithToken();

      const { body } = await introspect(pat);

      expect(body).toEqual({
        active: true,
        token_type: 'personal_access_token',
        sub: user.id,
        username: user.username,
        scope: 'profile',
        exp: Math.floor(Date.parse(created.expiresAt) / 1000),
        iat: Math.floor(Date.parse(created.createdAt) / 1000),
        iss: 'http://portcullis.test',
      });
    });

    it('answers active:false once revoked, for a bad checksum, and for a disabled account', async () => {
      const revoked = await userWithToken();
      await t.http.post('/auth/revoke').type('form').send({ token: revoked.pat }).expect(200);
      const disabled = await userWithToken();
      await t.http
        .patch(`/users/${disabled.user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: true })
        .expect(200);

      for (const token of [revoked.pat, withBadChecksum(disabled.pat), disabled.pat]) {
        expect((await introspect(token)).body).toEqual({ active: false });
      }
    });
  });

  it('never writes a personal access token to the logs', () => {
    expect(issued.length).toBeGreaterThan(10);
    const written = JSON.stringify(logs.lines());
    for (const token of issued) {
      expect(written).not.toContain(token.slice(4));
    }
  });
});
