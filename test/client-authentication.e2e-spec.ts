import { decodeJwt } from 'jose';
import { basic, createClient, RegisteredClient, TokenPair } from './utils/oauth';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

/** Client authentication as real clients send it (RFC 6749 section 2.3), public clients included. */
describe('client authentication at the OAuth endpoints', () => {
  let t: TestApp;
  let adminToken: string;
  let confidential: RegisteredClient;
  let app: RegisteredClient;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
    confidential = await createClient(t, adminToken, {
      name: 'backend',
      scopes: [],
      grants: ['password', 'refresh_token'],
    });
    app = (
      await t.http
        .post('/clients')
        .set(bearer(adminToken))
        .send({ name: 'mobile-app', scopes: [], public: true })
        .expect(201)
    ).body as RegisteredClient;
  });

  afterAll(async () => {
    await t.close();
  });

  const token = (form: object, headers: Record<string, string> = {}) =>
    t.http.post('/auth/token').type('form').set(headers).send(form);

  it('registers a public client without a secret, for the users’ grants only', async () => {
    expect(app).toMatchObject({
      public: true,
      tokenEndpointAuthMethod: 'none',
      grants: ['password', 'refresh_token'],
    });
    expect(app).not.toHaveProperty('clientSecret');
    const refused = await t.http
      .post('/clients')
      .set(bearer(adminToken))
      .send({ name: 'x', scopes: [], public: true, grants: ['client_credentials'] })
      .expect(400);
    expect(refused.body).toMatchObject({ status: 400 });
  });

  it('lets a public client log a user in and refresh with its client_id alone', async () => {
    const user = await registerUser(t);
    const login = await token({ ...credentialsOf(user), client_id: app.clientId }).expect(200);
    const pair = login.body as TokenPair;
    expect(decodeJwt(pair.access_token).client_id).toBe(app.clientId);

    // The session is the client's: refreshed only by it.
    await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }).expect(400);
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: pair.refresh_token,
      client_id: app.clientId,
    }).expect(200);
    expect((refreshed.body as TokenPair).refresh_token).toBeDefined();
  });

  it('also accepts a public client named in HTTP Basic with an empty secret (Swagger UI)', async () => {
    const user = await registerUser(t);
    await token(credentialsOf(user), basic(app.clientId, '')).expect(200);
  });

  it('refuses a public client that shows a secret, or that asks for client_credentials', async () => {
    const user = await registerUser(t);
    const withSecret = await token({
      ...credentialsOf(user),
      client_id: app.clientId,
      client_secret: 'guessed',
    }).expect(401);
    expect(withSecret.body).toMatchObject({ error: 'invalid_client' });
    const own = await token({ grant_type: 'client_credentials', client_id: app.clientId });
    expect(own.status).toBe(401);
    expect(own.body).toMatchObject({ error: 'invalid_client' });
  });

  it('does not let a public client introspect: it has proved nothing', async () => {
    const pair = (await token(credentialsOf(await registerUser(t))).expect(200)).body as TokenPair;
    const response = await t.http
      .post('/auth/introspect')
      .type('form')
      .send({ token: pair.access_token, client_id: app.clientId })
      .expect(401);
    expect(response.body).toMatchObject({ error: 'invalid_client' });
  });

  it('answers an unregistered client_id with invalid_client, and an empty one as no client', async () => {
    const user = await registerUser(t);
    const unknown = await token({ ...credentialsOf(user), client_id: 'pc_nobody' }).expect(401);
    expect(unknown.body).toMatchObject({ error: 'invalid_client' });
    const pair = (await token({ ...credentialsOf(user), client_id: '' }).expect(200))
      .body as TokenPair;
    expect(decodeJwt(pair.access_token).client_id).toBeUndefined();
  });

  it('refuses a confidential client that sends its client_id without its secret', async () => {
    const user = await registerUser(t);
    const response = await token({ ...credentialsOf(user), client_id: confidential.clientId });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_client' });
  });

  it('accepts client_id in the body beside HTTP Basic for the same client', async () => {
    const user = await registerUser(t);
    const response = await token(
      { ...credentialsOf(user), client_id: confidential.clientId },
      basic(confidential.clientId, confidential.clientSecret),
    ).expect(200);
    expect(decodeJwt((response.body as TokenPair).access_token).client_id).toBe(
      confidential.clientId,
    );
  });

  it('refuses a second method: a body secret beside Basic, or another client_id', async () => {
    const user = await registerUser(t);
    const credentials = basic(confidential.clientId, confidential.clientSecret);
    for (const extra of [
      { client_secret: confidential.clientSecret },
      { client_id: app.clientId },
    ]) {
      const response = await token({ ...credentialsOf(user), ...extra }, credentials).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('ignores unknown parameters on revocation and introspection too', async () => {
    const pair = (await token(credentialsOf(await registerUser(t))).expect(200)).body as TokenPair;
    const introspected = await t.http
      .post('/auth/introspect')
      .type('form')
      .set(basic(confidential.clientId, confidential.clientSecret))
      .send({ token: pair.access_token, resource: 'https://api.example.com', unknown: 'x' })
      .expect(200);
    expect(introspected.body).toMatchObject({ active: true });
    await t.http
      .post('/auth/revoke')
      .type('form')
      .send({ token: pair.refresh_token, token_type_hint: 'refresh_token', audience: 'x' })
      .expect(200);
    const revoked = await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token });
    expect(revoked.body).toMatchObject({ error: 'invalid_grant' });
  });
});
