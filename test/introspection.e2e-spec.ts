import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import {
  basic,
  createClient,
  passwordGrant,
  refreshGrant,
  RegisteredClient,
  TokenPair,
} from './utils/oauth';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

interface Introspection {
  active: boolean;
  [claim: string]: unknown;
}

describe('POST /auth/introspect and POST /auth/revoke', () => {
  let t: TestApp;
  let adminToken: string;
  let resourceServer: RegisteredClient;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
    resourceServer = await createClient(t, adminToken, {
      name: 'resource-server',
      scopes: ['introspect'],
    });
  });

  afterAll(async () => {
    await t.close();
  });

  const introspect = async (token: string, extra: Record<string, string> = {}) =>
    (
      await t.http
        .post('/auth/introspect')
        .set(basic(resourceServer.clientId, resourceServer.clientSecret))
        .type('form')
        .send({ token, ...extra })
        .expect(200)
    ).body as Introspection;

  it('describes an active user access token', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, user);
    const response = await t.http
      .post('/auth/introspect')
      .set(basic(resourceServer.clientId, resourceServer.clientSecret))
      .type('form')
      .send({ token: pair.access_token })
      .expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({
      active: true,
      token_type: 'bearer',
      sub: user.id,
      username: user.username,
      scope: 'profile',
      iss: 'http://portcullis.test',
      aud: 'http://api.portcullis.test',
      jti: expect.any(String),
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
  });

  it('describes an active refresh token, and a client token', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, user);
    expect(
      await introspect(pair.refresh_token, { token_type_hint: 'refresh_token' }),
    ).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      sub: user.id,
      username: user.username,
    });
    const clientToken = (
      await t.http
        .post('/auth/token')
        .set(basic(resourceServer.clientId, resourceServer.clientSecret))
        .send({ grant_type: 'client_credentials' })
        .expect(200)
    ).body as TokenPair;
    const described = await introspect(clientToken.access_token);
    expect(described).toMatchObject({
      active: true,
      sub: resourceServer.clientId,
      client_id: resourceServer.clientId,
    });
    expect(described.username).toBeUndefined();
  });

  it('answers { active: false } and nothing more for revoked, spent, expired and garbage tokens', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, user);
    await refreshGrant(t, pair.refresh_token).expect(200);
    const key = t.app.get(SigningKeysService).currentSigningKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ scope: 'profile', jti: randomUUID(), token_version: 0 })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer('http://portcullis.test')
      .setAudience('http://api.portcullis.test')
      .setSubject(user.id)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 600)
      .sign(key.privateKey);

    for (const token of [pair.refresh_token, expired, 'garbage', `${pair.access_token}x`]) {
      expect(await introspect(token)).toEqual({ active: false });
    }
  });

  it('reflects revocation, a password change and a disabled account at once', async () => {
    const user = await registerUser(t);
    const revoked = await passwordGrant(t, user);
    await t.http
      .post('/auth/revoke')
      .type('form')
      .send({ token: revoked.access_token })
      .expect(200);
    expect(await introspect(revoked.access_token)).toEqual({ active: false });
    await t.http.get('/users/me').set(bearer(revoked.access_token)).expect(401);

    const beforeChange = await passwordGrant(t, user);
    await t.http
      .post('/users/me/password')
      .set(bearer(beforeChange.access_token))
      .send({ currentPassword: user.password, newPassword: 'an entirely new passphrase' })
      .expect(204);
    expect(await introspect(beforeChange.access_token)).toEqual({ active: false });
    expect(await introspect(beforeChange.refresh_token)).toEqual({ active: false });

    const other = await registerUser(t);
    const otherPair = await passwordGrant(t, other);
    await t.http
      .patch(`/users/${other.id}`)
      .set(bearer(adminToken))
      .send({ disabled: true })
      .expect(200);
    expect(await introspect(otherPair.access_token)).toEqual({ active: false });
  });

  it('refuses unauthenticated or wrongly authenticated callers with 401 invalid_client', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const anonymous = await t.http
      .post('/auth/introspect')
      .type('form')
      .send({ token: pair.access_token })
      .expect(401);
    expect(anonymous.body).toMatchObject({ error: 'invalid_client' });
    await t.http
      .post('/auth/introspect')
      .set(basic(resourceServer.clientId, 'wrong'))
      .type('form')
      .send({ token: pair.access_token })
      .expect(401);
    await t.http
      .post('/auth/introspect')
      .set(bearer(pair.access_token))
      .type('form')
      .send({ token: pair.access_token })
      .expect(401);
  });

  it('revokes with 200 whatever the token, and refuses a wrong client secret', async () => {
    for (const token of ['unknown-token', 'x'.repeat(43), 'eyJhbGciOiJub25lIn0.e30.']) {
      await t.http.post('/auth/revoke').type('form').send({ token }).expect(200);
    }
    await t.http
      .post('/auth/revoke')
      .send({ token: 'whatever', token_type_hint: 'something_else' })
      .expect(200);
    await t.http.post('/auth/revoke').send({}).expect(400);
    const response = await t.http
      .post('/auth/revoke')
      .set(basic(resourceServer.clientId, 'wrong'))
      .type('form')
      .send({ token: 'whatever' })
      .expect(401);
    expect(response.body).toMatchObject({ error: 'invalid_client' });
  });

  it('revoking an access token leaves the rest of its session working', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    await t.http
      .post('/auth/revoke')
      .type('form')
      .send({ token: pair.access_token, token_type_hint: 'access_token' })
      .expect(200);
    await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
    const refreshed = (await refreshGrant(t, pair.refresh_token).expect(200)).body as TokenPair;
    await t.http.get('/users/me').set(bearer(refreshed.access_token)).expect(200);
  });
});
