import { decodeJwt, decodeProtectedHeader } from 'jose';
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
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

describe('clients and the client_credentials grant', () => {
  let t: TestApp;
  let adminToken: string;
  let service: RegisteredClient;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
    service = await createClient(t, adminToken, { name: 'orders-service' });
  });

  afterAll(async () => {
    await t.close();
  });

  const clientCredentials = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    t.http
      .post('/auth/token')
      .set(headers)
      .type('form')
      .send({ grant_type: 'client_credentials', ...body });

  describe('administration', () => {
    it('shows the secret once at creation and never in the list', async () => {
      expect(service).toMatchObject({
        clientId: expect.stringMatching(/^pc_/),
        clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        name: 'orders-service',
        scopes: ['orders:read', 'orders:write'],
        grants: ['client_credentials'],
        public: false,
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
      const list = await t.http.get('/clients').set(bearer(adminToken)).expect(200);
      expect(list.text).toContain(service.clientId);
      expect(list.text).not.toContain(service.clientSecret);
      expect((list.body as object[]).filter((client) => 'clientSecret' in client)).toEqual([]);
    });

    it('refuses non-admins with 403 and anonymous callers with 401', async () => {
      const user = await login(t, await registerUser(t));
      await t.http.post('/clients').set(bearer(user)).send({ name: 'x', scopes: [] }).expect(403);
      await t.http.get('/clients').set(bearer(user)).expect(403);
      await t.http.delete(`/clients/${service.clientId}`).set(bearer(user)).expect(403);
      await t.http.get('/clients').expect(401);
    });

    it.each([
      ['a chosen secret', { name: 'x', scopes: [], clientSecret: 'mine' }],
      ['a chosen id', { name: 'x', scopes: [], clientId: 'pc_mine' }],
      ['an unknown grant', { name: 'x', scopes: [], grants: ['implicit'] }],
      ['a scope with a space', { name: 'x', scopes: ['a b'] }],
      ['no scopes field', { name: 'x' }],
      ['null grants', { name: 'x', scopes: [], grants: null }],
      ['a NUL in the name', { name: 'billing\u0000service', scopes: [] }],
      ['a line break in the name', { name: 'billing\nservice', scopes: [] }],
    ])('refuses %s with 400', async (_label, body) => {
      await t.http.post('/clients').set(bearer(adminToken)).send(body).expect(400);
    });

    it('answers client ids that cannot exist (a NUL, a slash, too long) as unknown', async () => {
      for (const clientId of ['pc_a\u0000b', 'pc/../x', 'x'.repeat(65)]) {
        await t.http
          .delete(`/clients/${encodeURIComponent(clientId)}`)
          .set(bearer(adminToken))
          .expect(404);
        const inBody = await t.http
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'x' })
          .expect(401);
        expect(inBody.body).toMatchObject({ error: 'invalid_client' });
        await t.http
          .post('/auth/token')
          .set(basic(clientId, 'x'))
          .type('form')
          .send({ grant_type: 'client_credentials' })
          .expect(401);
      }
    });

    it('deletes a client, after which it cannot authenticate; an unknown id is 404', async () => {
      const doomed = await createClient(t, adminToken);
      await t.http.delete(`/clients/${doomed.clientId}`).set(bearer(adminToken)).expect(204);
      await t.http.delete(`/clients/${doomed.clientId}`).set(bearer(adminToken)).expect(404);
      await clientCredentials({}, basic(doomed.clientId, doomed.clientSecret)).expect(401);
    });
  });

  describe('client_credentials', () => {
    it('issues an access token (no refresh token) with HTTP Basic', async () => {
      const response = await clientCredentials(
        {},
        basic(service.clientId, service.clientSecret),
      ).expect(200);
      const body = response.body as TokenPair;
      expect(body.refresh_token).toBeUndefined();
      expect(body).toMatchObject({ token_type: 'bearer', scope: 'orders:read orders:write' });
      expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
      const claims = decodeJwt(body.access_token);
      expect(claims).toMatchObject({
        sub: service.clientId,
        client_id: service.clientId,
        scope: 'orders:read orders:write',
      });
      expect(claims.roles).toBeUndefined();
      expect(claims.preferred_username).toBeUndefined();
    });

    it('accepts the credentials in the body, and a narrower scope', async () => {
      const response = await clientCredentials({
        client_id: service.clientId,
        client_secret: service.clientSecret,
        scope: 'orders:read',
      }).expect(200);
      expect((response.body as TokenPair).scope).toBe('orders:read');
    });

    it.each([
      ['a wrong secret', () => basic(service.clientId, 'wrong')],
      ['an unknown client', () => basic('pc_unknown', service.clientSecret)],
      ['an empty secret', () => basic(service.clientId, '')],
    ])('answers %s with 401 invalid_client and a Basic challenge', async (_label, headers) => {
      const response = await clientCredentials({}, headers()).expect(401);
      expect(response.body).toMatchObject({ error: 'invalid_client' });
      expect(response.headers['www-authenticate']).toMatch(/^Basic/);
    });

    it.each([
      ['a wrong secret', () => ({ client_id: service.clientId, client_secret: 'wrong' })],
      ['an unknown client', () => ({ client_id: 'pc_unknown', client_secret: 'x' })],
    ])(
      'answers %s in the body with 401 invalid_client and no Basic challenge (RFC 6749 section 5.2)',
      async (_label, body) => {
        // A Basic challenge on an XHR makes a browser show its own login dialog.
        const response = await clientCredentials(body()).expect(401);
        expect(response.body).toMatchObject({ error: 'invalid_client' });
        expect(response.headers['www-authenticate']).toBe('Bearer realm="portcullis"');
      },
    );

    it('answers no client authentication with 401 invalid_client', async () => {
      const response = await clientCredentials({}).expect(401);
      expect(response.body).toMatchObject({ error: 'invalid_client' });
    });

    it('refuses two authentication methods at once with 400 invalid_request', async () => {
      const response = await clientCredentials(
        { client_id: service.clientId, client_secret: service.clientSecret },
        basic(service.clientId, service.clientSecret),
      ).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    });

    it('refuses scopes beyond the client’s with 400 invalid_scope', async () => {
      const response = await clientCredentials(
        { scope: 'orders:read payments:write' },
        basic(service.clientId, service.clientSecret),
      ).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_scope' });
    });

    it("refuses a client token on the service's own user routes with 403", async () => {
      const response = await clientCredentials(
        {},
        basic(service.clientId, service.clientSecret),
      ).expect(200);
      await t.http
        .get('/users/me')
        .set(bearer((response.body as TokenPair).access_token))
        .expect(403);
    });
  });

  describe('the password grant through a client', () => {
    it('is unauthorized_client for a client not allowed it, whatever the password', async () => {
      const user = await registerUser(t);
      for (const password of [user.password, 'not the password at all']) {
        const response = await t.http
          .post('/auth/token')
          .set(basic(service.clientId, service.clientSecret))
          .send({ username: user.username, password })
          .expect(400);
        expect(response.body).toMatchObject({ error: 'unauthorized_client' });
      }
    });

    it('binds the session to the client: only that client may refresh it', async () => {
      const app = await createClient(t, adminToken, {
        name: 'first-party-app',
        scopes: [],
        grants: ['password', 'refresh_token'],
      });
      const user = await registerUser(t);
      const pair = await passwordGrant(
        t,
        credentialsOf(user),
        {},
        basic(app.clientId, app.clientSecret),
      );
      expect(decodeJwt(pair.access_token).client_id).toBe(app.clientId);

      await refreshGrant(t, pair.refresh_token).expect(400);
      const refreshed = await t.http
        .post('/auth/token')
        .set(basic(app.clientId, app.clientSecret))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: pair.refresh_token })
        .expect(200);
      expect((refreshed.body as TokenPair).refresh_token).toBeDefined();
    });

    it('is unauthorized_client to refresh for a client without the refresh_token grant', async () => {
      const app = await createClient(t, adminToken, { scopes: [], grants: ['password'] });
      const pair = await passwordGrant(
        t,
        credentialsOf(await registerUser(t)),
        {},
        basic(app.clientId, app.clientSecret),
      );
      const refused = await t.http
        .post('/auth/token')
        .set(basic(app.clientId, app.clientSecret))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: pair.refresh_token })
        .expect(400);
      expect(refused.body).toMatchObject({ error: 'unauthorized_client' });
      // Refused before the token was redeemed: it is not spent.
      const introspected = await t.http
        .post('/auth/introspect')
        .set(basic(app.clientId, app.clientSecret))
        .type('form')
        .send({ token: pair.refresh_token })
        .expect(200);
      expect(introspected.body).toMatchObject({ active: true });
    });

    it('ends the sessions started through a client when the client is deleted', async () => {
      const app = await createClient(t, adminToken, { scopes: [], grants: ['password'] });
      const pair = await passwordGrant(
        t,
        credentialsOf(await registerUser(t)),
        {},
        basic(app.clientId, app.clientSecret),
      );
      await t.http.delete(`/clients/${app.clientId}`).set(bearer(adminToken)).expect(204);
      await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
    });
  });
});
