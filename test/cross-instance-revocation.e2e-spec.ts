import request from 'supertest';
import { DataSource } from 'typeorm';
import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { basic, createClient, passwordGrant } from './utils/oauth';
import {
  ADMIN,
  bearer,
  HttpOf,
  login,
  registerUser,
  STRONG_PASSWORD,
  startTestApp,
  TestApp,
} from './utils/test-app';

/**
 * Instance A answers the per-request checks from memory while the revocation epoch stands still
 * (PrincipalStateService). Every test first makes A accept a token (so A holds its state), then
 * changes something through instance B, a separate process on the same database, or straight in
 * the database, and expects A's very next answer to reflect it: no delay, no stale accept.
 */
describe('revocation across instances', () => {
  let a: TestApp;
  let built: BuiltApp;
  let b: HttpOf;
  let adminToken: string;

  beforeAll(async () => {
    a = await startTestApp();
    built = await startBuiltApp({
      DATABASE_URL: a.database.url,
      ISSUER: 'http://portcullis.test',
      AUDIENCE: 'http://api.portcullis.test',
      TOKEN_REQUESTS_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
    });
    b = { http: request(built.url) };
    adminToken = await login(b, ADMIN);
  });

  afterAll(async () => {
    await stopBuiltApp(built);
    await a.close();
  });

  async function acceptedByA(token: string): Promise<void> {
    await a.http.get('/users/me').set(bearer(token)).expect(200);
  }

  it('refuses at once an access token revoked on the other instance', async () => {
    const user = await registerUser(a);
    const pair = await passwordGrant(a, user);
    await acceptedByA(pair.access_token);

    await b.http.post('/auth/revoke').type('form').send({ token: pair.access_token }).expect(200);

    await a.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
  });

  it('ends access tokens of a session whose refresh token was revoked on the other instance', async () => {
    const user = await registerUser(a);
    const pair = await passwordGrant(a, user);
    await acceptedByA(pair.access_token);

    await b.http.post('/auth/revoke').type('form').send({ token: pair.refresh_token }).expect(200);

    await a.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
  });

  it('refuses tokens issued before a password change made on the other instance', async () => {
    const user = await registerUser(a);
    const token = await login(a, user);
    await acceptedByA(token);

    await b.http
      .post('/users/me/password')
      .set(bearer(await login(b, user)))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD} renewed` })
      .expect(204);

    await a.http.get('/users/me').set(bearer(token)).expect(401);
  });

  it('answers 403 once an admin on the other instance disables the account, 401 once deleted', async () => {
    const user = await registerUser(a);
    const token = await login(a, user);
    await acceptedByA(token);

    await b.http
      .patch(`/users/${user.id}`)
      .set(bearer(adminToken))
      .send({ disabled: true })
      .expect(200);
    await a.http.get('/users/me').set(bearer(token)).expect(403);

    const other = await registerUser(a);
    const otherToken = await login(a, other);
    await acceptedByA(otherToken);
    await b.http.delete(`/users/${other.id}`).set(bearer(adminToken)).expect(204);
    await a.http.get('/users/me').set(bearer(otherToken)).expect(401);
  });

  it("applies a role change made on the other instance to the next request's access", async () => {
    const user = await registerUser(a);
    const token = await login(a, user);
    await a.http.get('/users').set(bearer(token)).expect(403);

    await b.http
      .patch(`/users/${user.id}`)
      .set(bearer(adminToken))
      .send({ roles: ['user', 'admin'] })
      .expect(200);

    await a.http.get('/users').set(bearer(token)).expect(200);
  });

  it('shows a profile change made on the other instance in the next GET /users/me', async () => {
    const user = await registerUser(a);
    const token = await login(a, user);
    await acceptedByA(token);
    const email = `${user.username}@example.com`.toLowerCase();

    await b.http
      .patch('/users/me')
      .set(bearer(await login(b, user)))
      .send({ email })
      .expect(200);

    const me = await a.http.get('/users/me').set(bearer(token)).expect(200);
    expect((me.body as { email: string }).email).toBe(email);
  });

  it("refuses a client's tokens once the client is deleted on the other instance", async () => {
    const client = await createClient(a, adminToken, { scopes: ['orders:read'] });
    const issued = await a.http
      .post('/auth/token')
      .set(basic(client.clientId, client.clientSecret))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'orders:read' })
      .expect(200);
    const clientToken = (issued.body as { access_token: string }).access_token;
    // A live client's own token is valid but acts for no user: 403 on the user routes.
    await a.http.get('/users/me').set(bearer(clientToken)).expect(403);

    await b.http.delete(`/clients/${client.clientId}`).set(bearer(adminToken)).expect(204);

    await a.http.get('/users/me').set(bearer(clientToken)).expect(401);
  });

  it('sees a change written straight into the database, as an operator would make it', async () => {
    const user = await registerUser(a);
    const token = await login(a, user);
    await acceptedByA(token);

    await a.app
      .get(DataSource)
      .query(`UPDATE "users" SET "disabled" = true WHERE "id" = '${user.id}'`);

    await a.http.get('/users/me').set(bearer(token)).expect(403);
  });
});
