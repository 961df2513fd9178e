import { createLocalJWKSet, JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { SigningKey } from '../src/keys/entities/signing-key.entity';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const ISSUER = 'http://portcullis.test';
const AUDIENCE = 'http://api.portcullis.test';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

interface Jwks {
  keys: ({ kid: string; kty: string } & Record<string, unknown>)[];
}

function headerOf(token: string): { alg: string; kid: string; typ: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as {
    alg: string;
    kid: string;
    typ: string;
  };
}

async function jwksOf(t: TestApp): Promise<Jwks> {
  return (await t.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;
}

async function rotate(t: TestApp, adminToken: string): Promise<string> {
  const response = await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(201);
  expect(response.body).toEqual({ kid: expect.any(String) });
  return (response.body as { kid: string }).kid;
}

/** What a peer service does: verify offline against the served JWKS, pinning everything. */
async function verifyAsPeer(t: TestApp, token: string, alg: string) {
  const keys = createLocalJWKSet((await jwksOf(t)) as unknown as JSONWebKeySet);
  return jwtVerify(token, keys, {
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: 'at+jwt',
    algorithms: [alg],
  });
}

function expectPublicMembersOnly(jwks: Jwks): void {
  for (const key of jwks.keys) {
    for (const member of PRIVATE_MEMBERS) {
      expect(key).not.toHaveProperty(member);
    }
  }
}

describe('signing keys', () => {
  describe('POST /keys/rotate', () => {
    let t: TestApp;
    let adminToken: string;

    beforeAll(async () => {
      t = await startTestApp();
      adminToken = await login(t, ADMIN);
    });

    afterAll(async () => {
      await t.close();
    });

    it('answers 401 without a token', async () => {
      await t.http.post('/keys/rotate').expect(401);
    });

    it('answers 403 problem+json to a caller who is not an admin, and rotates nothing', async () => {
      const before = await jwksOf(t);
      const userToken = await login(t, await registerUser(t));

      const response = await t.http.post('/keys/rotate').set(bearer(userToken)).expect(403);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(await jwksOf(t)).toEqual(before);
    });

    it('signs new tokens with the new key, keeps old tokens valid, and publishes both keys', async () => {
      const user = await registerUser(t);
      const oldToken = await login(t, user);
      const oldKid = headerOf(oldToken).kid;

      const newKid = await rotate(t, adminToken);

      expect(newKid).not.toBe(oldKid);
      const newToken = await login(t, user);
      expect(headerOf(newToken)).toEqual({ alg: 'RS256', kid: newKid, typ: 'at+jwt' });
      await t.http.get('/users/me').set(bearer(oldToken)).expect(200);
      await t.http.get('/users/me').set(bearer(newToken)).expect(200);
      const jwks = await jwksOf(t);
      expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
      expectPublicMembersOnly(jwks);
      await expect(verifyAsPeer(t, oldToken, 'RS256')).resolves.toBeDefined();
      await expect(verifyAsPeer(t, newToken, 'RS256')).resolves.toBeDefined();
    });

    it('gives each of several simultaneous rotations its own generation; the last one signs', async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.http
            .post('/keys/rotate')
            .set(bearer(adminToken))
            .then((response) => response),
        ),
      );
      // Beyond three at once, the losers of the race for one generation used to answer 500.
      expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));
      const kids = answers.map((answer) => (answer.body as { kid: string }).kid);
      const rotated = await t.app
        .get(DataSource)
        .getRepository(SigningKey)
        .find({ where: { kid: In(kids) }, order: { generation: 'ASC' } });
      const generations = rotated.map((key) => key.generation);
      expect(generations).toEqual(generations.map((_, index) => generations[0] + index));
      const newest = rotated[rotated.length - 1];
      const token = await login(t, await registerUser(t));
      expect(headerOf(token).kid).toBe(newest.kid);
      await t.http.get('/users/me').set(bearer(token)).expect(200);
    });

    it('serves the JWKS cacheable for 300 seconds when keys sign as soon as they are rotated in', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);

      expect(response.headers['cache-control']).toBe('public, max-age=300');
    });
  });

  describe.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['ES256', { kty: 'EC', crv: 'P-256' }],
  ])('with JWT_ALG=%s', (alg, members) => {
    let t: TestApp;
    let user: { id: string; username: string; password: string };
    let token: string;
    let serviceKid: string;

    beforeAll(async () => {
      t = await startTestApp({ JWT_ALG: alg });
      user = await registerUser(t);
      token = await login(t, user);
      serviceKid = headerOf(token).kid;
    });

    afterAll(async () => {
      await t.close();
    });

    it(`issues ${alg} tokens that its protected routes accept`, async () => {
      expect(headerOf(token)).toEqual({ alg, kid: serviceKid, typ: 'at+jwt' });

      const response = await t.http.get('/users/me').set(bearer(token)).expect(200);
      expect(response.body).toMatchObject({ id: user.id, username: user.username });
    });

    it(`publishes its ${members.kty} public key, public members only`, async () => {
      const jwks = await jwksOf(t);

      expect(jwks.keys).toEqual([
        {
          ...members,
          kid: serviceKid,
          alg,
          use: 'sig',
          x: expect.any(String),
          ...(alg === 'ES256' ? { y: expect.any(String) } : {}),
        },
      ]);
      expectPublicMembersOnly(jwks);
    });

    it('issues tokens a peer verifies with jose against the JWKS, pinning iss, aud, typ and alg', async () => {
      const { payload, protectedHeader } = await verifyAsPeer(t, token, alg);

      expect(protectedHeader).toEqual({ alg, kid: serviceKid, typ: 'at+jwt' });
      expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.id, scope: 'profile' });
    });

    function claims() {
      const now = Math.floor(Date.now() / 1000);
      return {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: user.id,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        scope: 'profile',
        roles: ['admin'],
        preferred_username: user.username,
        token_version: 0,
      };
    }

    it('refuses an RS256 token under its kid (alg confusion)', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'RS256', kid: serviceKid, typ: 'at+jwt' })
        .sign(privateKey);

      await t.http.get('/users/me').set(bearer(forged)).expect(401);
    });

    it('refuses an HS256 token keyed with its published public key (alg confusion)', async () => {
      const [jwk] = (await jwksOf(t)).keys;
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: serviceKid, typ: 'at+jwt' })
        .sign(Buffer.from(JSON.stringify(jwk)));

      await t.http.get('/users/me').set(bearer(forged)).expect(401);
    });

    it(`rotates to a new ${alg} key`, async () => {
      const newKid = await rotate(t, await login(t, ADMIN));

      const newToken = await login(t, user);
      expect(headerOf(newToken)).toMatchObject({ alg, kid: newKid });
      expect((await jwksOf(t)).keys).toEqual([
        expect.objectContaining({ ...members, kid: newKid }),
        expect.objectContaining({ ...members, kid: serviceKid }),
      ]);
      await t.http.get('/users/me').set(bearer(token)).expect(200);
      await expect(verifyAsPeer(t, newToken, alg)).resolves.toBeDefined();
    });
  });

  describe('with JWT_ALG=HS256', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ JWT_ALG: 'HS256', JWT_SECRET: 'k'.repeat(16) + 'abcdefghijklmnop' });
    });

    afterAll(async () => {
      await t.close();
    });

    it('answers 409 problem+json to a rotation, since the key is JWT_SECRET', async () => {
      const adminToken = await login(t, ADMIN);

      const response = await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(409);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        status: 409,
        detail: expect.stringContaining('JWT_SECRET'),
      });
      expect((response.body as { detail: string }).detail).not.toContain('k'.repeat(16));
      await t.http.get('/users/me').set(bearer(adminToken)).expect(200);
    });
  });

  describe('a second instance on the same database', () => {
    let first: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      first = await startTestApp();
      second = await startTestApp({}, { shareDatabaseOf: first });
    });

    afterAll(async () => {
      await second.close();
      await first.close();
    });

    it('accepts a token signed with a key the first rotated in, then signs and publishes with it too', async () => {
      const user = await registerUser(first);
      const newKid = await rotate(first, await login(first, ADMIN));
      const fromFirst = await login(first, user);
      expect(headerOf(fromFirst).kid).toBe(newKid);

      // An unknown kid makes the second instance reload the keys rather than refuse the token.
      await second.http.get('/users/me').set(bearer(fromFirst)).expect(200);

      expect(headerOf(await login(second, user)).kid).toBe(newKid);
      expect(await jwksOf(second)).toEqual(await jwksOf(first));
    });
  });

  describe('with KEY_PUBLISH_DELAY', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ KEY_PUBLISH_DELAY: '60' });
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    afterAll(async () => {
      await t.close();
    });

    it('publishes a rotated-in key at once but signs with it only after the delay', async () => {
      const user = await registerUser(t);
      const oldKid = headerOf(await login(t, user)).kid;

      const newKid = await rotate(t, await login(t, ADMIN));

      expect((await jwksOf(t)).keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
      expect(headerOf(await login(t, user)).kid).toBe(oldKid);

      // A minute later, on this instance's clock alone: only Date is faked, timers and I/O run.
      jest.useFakeTimers({
        now: Date.now() + 61 * 1000,
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      });
      const later = await login(t, user);
      expect(headerOf(later).kid).toBe(newKid);
      await t.http.get('/users/me').set(bearer(later)).expect(200);
    });

    it('lowers the JWKS max-age below the delay, so that caches refetch before a new key signs', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);

      expect(response.headers['cache-control']).toBe('public, max-age=50');
    });
  });

  describe('a retired key', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ ACCESS_TOKEN_TTL: '30' });
    });

    afterAll(async () => {
      await t.close();
    });

    it('leaves the JWKS once every token it signed has expired', async () => {
      const adminToken = await login(t, ADMIN);
      const oldToken = await login(t, await registerUser(t));
      const oldKid = headerOf(oldToken).kid;
      const newKid = await rotate(t, adminToken);
      expect((await jwksOf(t)).keys.map((key) => key.kid)).toEqual([newKid, oldKid]);

      // As if the rotation had happened long ago: 30 s of token life, 30 s of skew and 10 s for
      // every instance to notice have passed since the old key stopped signing.
      const stoppedSigning = new Date(Date.now() - (30 + 30 + 10 + 1) * 1000);
      await t.app
        .get(DataSource)
        .getRepository(SigningKey)
        .update({ kid: oldKid }, { retiredAt: stoppedSigning });
      // What the reload timer does every 10 seconds.
      await t.app.get(SigningKeysService).refresh();

      expect((await jwksOf(t)).keys.map((key) => key.kid)).toEqual([newKid]);
      // Refused here exactly as by a peer, which no longer finds its key.
      await t.http.get('/users/me').set(bearer(oldToken)).expect(401);
    });
  });
});
