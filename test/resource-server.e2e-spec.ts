import type { IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createResourceServer } from '../examples/resource-server/server';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import { basic, createClient, passwordGrant, RegisteredClient } from './utils/oauth';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

describe('examples/resource-server against a running Portcullis', () => {
  let t: TestApp;
  let adminToken: string;
  let caller: RegisteredClient;
  let server: Server;
  let ordersUrl: string;
  let jwksFetches = 0;

  const clientToken = async (client: RegisteredClient, scope?: string) => {
    const response = await t.http
      .post('/auth/token')
      .set(basic(client.clientId, client.clientSecret))
      .type('form')
      .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) })
      .expect(200);
    return (response.body as { access_token: string }).access_token;
  };

  const getOrders = (token?: string) =>
    fetch(ordersUrl, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    t = await startTestApp({}, { listen: true });
    t.app.getHttpServer().on('request', (request: IncomingMessage) => {
      if (request.url === '/.well-known/jwks.json') {
        jwksFetches += 1;
      }
    });
    adminToken = await login(t, ADMIN);
    caller = await createClient(t, adminToken, {
      name: 'orders-caller',
      scopes: ['orders:read', 'other'],
    });
    // jose's defaults, as shipped: the JWKS cached, refetched at most every 30 s.
    server = createResourceServer({ issuer: t.url as string, audience: t.url as string });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    ordersUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  });

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
    await t.close();
  });

  it('serves a caller whose token carries the scope', async () => {
    const response = await getOrders(await clientToken(caller, 'orders:read'));
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toMatchObject({
      caller: caller.clientId,
      clientId: caller.clientId,
    });
  });

  it('answers 401 with a Bearer challenge without a token or with a mangled one', async () => {
    const missing = await getOrders();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const token = await clientToken(caller);
    // The signature's first character, which is six bits of it: its last character may carry
    // only padding bits, and overwriting the end with fixed text sometimes changed nothing.
    const signature = token.lastIndexOf('.') + 1;
    const changed = token[signature] === 'A' ? 'B' : 'A';
    const mangled = await getOrders(
      `${token.slice(0, signature)}${changed}${token.slice(signature + 1)}`,
    );
    expect(mangled.status).toBe(401);
    expect(mangled.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('answers 403 insufficient_scope when the scope is missing', async () => {
    const response = await getOrders(await clientToken(caller, 'other'));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('refuses a token signed by someone else, and one of the wrong type', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    const claims = { scope: 'orders:read', jti: randomUUID() };
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'attacker', typ: 'at+jwt' })
      .setIssuer(t.url as string)
      .setAudience(t.url as string)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    expect((await getOrders(forged)).status).toBe(401);

    const ours = t.app.get(SigningKeysService).currentSigningKey();
    const notAnAccessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: ours.kid, typ: 'JWT' })
      .setIssuer(t.url as string)
      .setAudience(t.url as string)
      .setSubject('x')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(ours.privateKey);
    expect((await getOrders(notAnAccessToken)).status).toBe(401);
  });

  it('accepts tokens signed after a key rotation with the JWKS it fetched before', async () => {
    expect((await getOrders(await clientToken(caller))).status).toBe(200);

    await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(201);

    expect((await getOrders(await clientToken(caller))).status).toBe(200);
    // Its one fetch, by the first request of this file, and still inside jose's 30 s cooldown.
    expect(jwksFetches).toBe(1);
  });

  it("accepts a user's token only when it has the route's scope", async () => {
    const user = await passwordGrant(t, await registerUser(t));
    expect((await getOrders(user.access_token)).status).toBe(403);
  });
});
