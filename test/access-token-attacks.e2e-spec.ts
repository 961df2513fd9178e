import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { decodeJwt, JWTPayload, SignJWT } from 'jose';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import { bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const ISSUER = 'http://portcullis.test';
const AUDIENCE = 'http://api.portcullis.test';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('a protected route refuses forged and mangled access tokens', () => {
  let t: TestApp;
  let user: { id: string; username: string };
  let genuine: string;
  let serviceKey: { kid: string; privateKey: KeyObject };
  let sessionId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const registered = await registerUser(t);
    user = registered;
    genuine = await login(t, registered);
    sessionId = decodeJwt(genuine).sid as string;
    serviceKey = t.app.get(SigningKeysService).currentSigningKey();
  });

  afterAll(async () => {
    await t.close();
  });

  const now = () => Math.floor(Date.now() / 1000);

  function claims(overrides: JWTPayload = {}): JWTPayload {
    return {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: user.id,
      iat: now(),
      exp: now() + 300,
      jti: randomUUID(),
      scope: 'profile',
      roles: ['user'],
      preferred_username: user.username,
      token_version: 0,
      sid: sessionId,
      ...overrides,
    };
  }

  /** Signs with the service's own private key: only the property under test is wrong. */
  function signWithServiceKey(payload: JWTPayload, header: Record<string, unknown> = {}) {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: serviceKey.kid, typ: 'at+jwt', ...header })
      .sign(serviceKey.privateKey);
  }

  async function expectRefused(token: string) {
    const response = await t.http.get('/users/me').set(bearer(token)).expect(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(response.headers['content-type']).toContain('application/problem+json');
  }

  it('accepts the genuine token and one forged with the service key and correct claims (control)', async () => {
    await t.http.get('/users/me').set(bearer(genuine)).expect(200);
    await t.http
      .get('/users/me')
      .set(bearer(await signWithServiceKey(claims())))
      .expect(200);
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])(
    'refuses alg "%s" with an empty signature',
    async (alg) => {
      const [, payload] = genuine.split('.');
      await expectRefused(`${b64url({ alg, typ: 'at+jwt', kid: serviceKey.kid })}.${payload}.`);
    },
  );

  it('refuses alg "none" carrying the original signature', async () => {
    const [, payload, signature] = genuine.split('.');
    await expectRefused(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.${signature}`);
  });

  it('refuses a token whose signature was stripped', async () => {
    const [header, payload] = genuine.split('.');
    await expectRefused(`${header}.${payload}.`);
    await expectRefused(`${header}.${payload}`);
  });

  it('refuses a token whose payload was changed (roles raised to admin)', async () => {
    const [header, payload, signature] = genuine.split('.');
    const raised = {
      ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
      roles: ['admin'],
    };
    await expectRefused(`${header}.${b64url(raised)}.${signature}`);
  });

  it('refuses a token whose signature was altered', async () => {
    const [header, payload, signature] = genuine.split('.');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await expectRefused(`${header}.${payload}.${flipped}`);
  });

  it('refuses HS256 signed with the service RSA public key as the HMAC secret (alg confusion)', async () => {
    const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as {
      keys: { kid: string }[];
    };
    const publicPem = t.app
      .get(SigningKeysService)
      .verificationKey(jwks.keys[0].kid)!
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const forged = await new SignJWT(claims({ roles: ['admin'] }))
      .setProtectedHeader({ alg: 'HS256', kid: serviceKey.kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(publicPem));
    await expectRefused(forged);
  });

  it('refuses a token signed by another key under an unknown kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'attacker-key', typ: 'at+jwt' })
      .sign(privateKey);
    await expectRefused(forged);
  });

  it('refuses a token signed by another key that claims the service kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: serviceKey.kid, typ: 'at+jwt' })
      .sign(privateKey);
    await expectRefused(forged);
  });

  it('refuses a token without a kid', async () => {
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
      .sign(serviceKey.privateKey);
    await expectRefused(forged);
  });

  it('refuses an expired token, allowing 30 seconds of clock skew', async () => {
    await expectRefused(await signWithServiceKey(claims({ iat: now() - 900, exp: now() - 60 })));
    await t.http
      .get('/users/me')
      .set(bearer(await signWithServiceKey(claims({ iat: now() - 900, exp: now() - 10 }))))
      .expect(200);
  });

  // What follows only matters to someone holding a signing key, which is exactly when it matters.
  it("refuses a user's token that names another user's session", async () => {
    const other = await login(t, await registerUser(t));
    await t.http.get('/users/me').set(bearer(other)).expect(200);
    await expectRefused(await signWithServiceKey(claims({ sid: decodeJwt(other).sid })));
  });

  it("refuses a user's token that names no session", async () => {
    await expectRefused(await signWithServiceKey(claims({ sid: undefined })));
  });

  it('refuses a token that lives longer than the configured lifetime, beyond the skew', async () => {
    const iat = now() - 5;
    await expectRefused(await signWithServiceKey(claims({ iat, exp: iat + 900 + 31 })));
    await t.http
      .get('/users/me')
      .set(bearer(await signWithServiceKey(claims({ iat, exp: iat + 900 + 30 }))))
      .expect(200);
  });

  it('refuses a token issued in the future (beyond the skew)', async () => {
    await expectRefused(await signWithServiceKey(claims({ iat: now() + 120, exp: now() + 600 })));
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    await expectRefused(await signWithServiceKey(claims({ nbf: now() + 120 })));
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await signWithServiceKey(claims({ iss: 'http://evil.test' })));
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await signWithServiceKey(claims({ aud: 'http://other-api.test' })));
  });

  it.each([['JWT'], ['id+jwt'], ['application/jwt']])('refuses typ "%s"', async (typ) => {
    await expectRefused(await signWithServiceKey(claims(), { typ }));
  });

  it('refuses a token without typ', async () => {
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: serviceKey.kid })
      .sign(serviceKey.privateKey);
    await expectRefused(forged);
  });

  it.each([['exp'], ['iat'], ['jti'], ['sub']])('refuses a token without %s', async (claim) => {
    const payload = claims();
    delete payload[claim];
    await expectRefused(await signWithServiceKey(payload));
  });

  it('refuses a well-signed token from before a password change (stale token_version)', async () => {
    await expectRefused(await signWithServiceKey(claims({ token_version: 1 })));
    await expectRefused(await signWithServiceKey(claims({ token_version: '0' })));
    const payload = claims();
    delete payload.token_version;
    await expectRefused(await signWithServiceKey(payload));
  });

  it('refuses a well-signed token for a user that does not exist', async () => {
    await expectRefused(await signWithServiceKey(claims({ sub: randomUUID() })));
  });

  it.each([
    ['a garbage string', 'not-a-jwt'],
    ['three empty parts', '..'],
    ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.sig`],
    ['a JSON array header', `${b64url([1, 2])}.e30.sig`],
  ])('refuses %s', async (_label, token) => {
    await expectRefused(token);
  });

  it('only reads the token from the Authorization Bearer header', async () => {
    await t.http.get(`/users/me?access_token=${genuine}`).expect(401);
    await t.http.get('/users/me').set('Authorization', `Token ${genuine}`).expect(401);
    await t.http.get('/users/me').set('Authorization', `Basic ${genuine}`).expect(401);
  });
});
