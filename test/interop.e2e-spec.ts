import { createRemoteJWKSet, jwtVerify } from 'jose';
import { BaseClient, Issuer } from 'openid-client';
import { createClient, RegisteredClient } from './utils/oauth';
import { ADMIN, login, registerUser, startTestApp, TestApp } from './utils/test-app';

/**
 * Portcullis driven by clients nobody here wrote: openid-client configured from the RFC 8414
 * discovery document, and jose verifying tokens against the served JWKS as a peer would.
 */
describe('interoperability with openid-client and jose', () => {
  let t: TestApp;
  let issuer: Issuer;
  let firstParty: RegisteredClient;
  let service: RegisteredClient;

  const clientFor = (registered: RegisteredClient): BaseClient =>
    new issuer.Client({
      client_id: registered.clientId,
      client_secret: registered.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
    });

  const verifyAsPeer = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(issuer.metadata.jwks_uri as string)), {
      issuer: issuer.metadata.issuer,
      audience: t.url,
      algorithms: ['RS256'],
      typ: 'at+jwt',
    });

  beforeAll(async () => {
    t = await startTestApp({}, { listen: true });
    const adminToken = await login(t, ADMIN);
    firstParty = await createClient(t, adminToken, {
      name: 'first-party-app',
      scopes: [],
      grants: ['password', 'refresh_token'],
    });
    service = await createClient(t, adminToken, { name: 'peer-service', scopes: ['orders:read'] });
    issuer = await Issuer.discover(`${t.url}/.well-known/oauth-authorization-server`);
  });

  afterAll(async () => {
    await t.close();
  });

  it('discovers the endpoints', () => {
    expect(issuer.metadata).toMatchObject({
      issuer: t.url,
      token_endpoint: `${t.url}/auth/token`,
      revocation_endpoint: `${t.url}/auth/revoke`,
      introspection_endpoint: `${t.url}/auth/introspect`,
    });
  });

  it('logs in, refreshes, introspects and revokes through openid-client', async () => {
    const user = await registerUser(t);
    const client = clientFor(firstParty);

    const login = await client.grant({
      grant_type: 'password',
      username: user.username,
      password: user.password,
    });
    expect(login.token_type).toBe('bearer');
    expect(login.refresh_token).toBeDefined();
    const { payload } = await verifyAsPeer(login.access_token as string);
    expect(payload).toMatchObject({
      sub: user.id,
      client_id: firstParty.clientId,
      scope: 'profile',
    });

    const refreshed = await client.refresh(login.refresh_token as string);
    expect(refreshed.refresh_token).not.toBe(login.refresh_token);
    await verifyAsPeer(refreshed.access_token as string);

    await expect(client.introspect(refreshed.access_token as string)).resolves.toMatchObject({
      active: true,
      sub: user.id,
      username: user.username,
    });
    await client.revoke(refreshed.refresh_token as string, 'refresh_token');
    await expect(client.introspect(refreshed.access_token as string)).resolves.toEqual({
      active: false,
    });
    await expect(client.refresh(refreshed.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('treats a replayed refresh token as theft for openid-client too', async () => {
    const client = clientFor(firstParty);
    const user = await registerUser(t);
    const login = await client.grant({
      grant_type: 'password',
      username: user.username,
      password: user.password,
    });
    const refreshed = await client.refresh(login.refresh_token as string);
    await expect(client.refresh(login.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.introspect(refreshed.access_token as string)).resolves.toEqual({
      active: false,
    });
  });

  it('gets a client_credentials token that a peer verifies offline', async () => {
    const tokens = await clientFor(service).grant({
      grant_type: 'client_credentials',
      scope: 'orders:read',
    });
    expect(tokens.refresh_token).toBeUndefined();
    const { payload, protectedHeader } = await verifyAsPeer(tokens.access_token as string);
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: service.clientId,
      client_id: service.clientId,
      scope: 'orders:read',
    });
  });

  it('accepts the extra parameters real clients send: resource, audience, client_id beside Basic', async () => {
    const user = await registerUser(t);
    const login = await clientFor(firstParty).grant({
      grant_type: 'password',
      username: user.username,
      password: user.password,
      client_id: firstParty.clientId,
      resource: 'https://api.example.com',
      audience: 'orders',
      scope: '',
    });
    await verifyAsPeer(login.access_token as string);
    const refreshed = await clientFor(firstParty).refresh(login.refresh_token as string, {
      exchangeBody: { resource: 'https://api.example.com' },
    });
    await verifyAsPeer(refreshed.access_token as string);
  });

  it('serves a public client that sends its client_id alone (token_endpoint_auth_method none)', async () => {
    const adminToken = await login(t, ADMIN);
    const registered = (
      await t.http
        .post('/clients')
        .set({ Authorization: `Bearer ${adminToken}` })
        .send({ name: 'spa', scopes: [], public: true })
        .expect(201)
    ).body as RegisteredClient;
    const app = new issuer.Client({
      client_id: registered.clientId,
      token_endpoint_auth_method: 'none',
    });
    const user = await registerUser(t);
    const tokens = await app.grant({
      grant_type: 'password',
      username: user.username,
      password: user.password,
    });
    const { payload } = await verifyAsPeer(tokens.access_token as string);
    expect(payload.client_id).toBe(registered.clientId);
    await expect(app.refresh(tokens.refresh_token as string)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it('reports a wrong client secret as invalid_client', async () => {
    const impostor = clientFor({ ...service, clientSecret: 'not-the-secret' });
    await expect(impostor.grant({ grant_type: 'client_credentials' })).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });
});
