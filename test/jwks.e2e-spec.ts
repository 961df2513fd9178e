import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import { login, registerUser, startTestApp, TestApp } from './utils/test-app';

interface Jwks {
  keys: Record<string, unknown>[];
}

describe('GET /.well-known/jwks.json', () => {
  describe.each([
    ['RS256', 'RSA'],
    ['ES256', 'EC'],
  ])('with JWT_ALG=%s', (alg, kty) => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ JWT_ALG: alg });
    });

    afterAll(async () => {
      await t.close();
    });

    it('publishes public keys only, the signing key and the next one, cacheable', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);
      expect(response.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
      const { keys } = response.body as Jwks;
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key).toMatchObject({ kty, alg, use: 'sig', kid: expect.any(String) });
        for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
          expect(key).not.toHaveProperty(privateMember);
        }
      }
    });

    it('verifies issued tokens offline, as a peer service would', async () => {
      const token = await login(t, await registerUser(t));
      const jwks = createLocalJWKSet(
        (await t.http.get('/.well-known/jwks.json')).body as JSONWebKeySet,
      );
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: 'http://portcullis.test',
        audience: 'http://api.portcullis.test',
        algorithms: [alg],
        typ: 'at+jwt',
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload.scope).toBe('profile');
    });

    it('shares its key with a second instance on the same database', async () => {
      const jwks = (await t.http.get('/.well-known/jwks.json')).body as Jwks;
      const token = await login(t, await registerUser(t));
      const second = await startTestApp({ JWT_ALG: alg }, { shareDatabaseOf: t });
      try {
        expect((await second.http.get('/.well-known/jwks.json')).body).toEqual(jwks);
        await second.http.get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
        const tokenFromSecond = await login(second, await registerUser(second));
        await t.http.get('/users/me').set('Authorization', `Bearer ${tokenFromSecond}`).expect(200);
      } finally {
        await second.close();
      }
    });
  });

  describe('with JWT_ALG=HS256', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({
        JWT_ALG: 'HS256',
        JWT_SECRET: 'a'.repeat(16) + 'bcdefghijklmnopqrstuvwxyz0123456',
      });
    });

    afterAll(async () => {
      await t.close();
    });

    it('publishes no key and still issues and accepts HS256 tokens', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);
      expect(response.body).toEqual({ keys: [] });
      const token = await login(t, await registerUser(t));
      expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({
        alg: 'HS256',
      });
      await t.http.get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    });
  });
});
