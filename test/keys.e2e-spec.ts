import { createLocalJWKSet, JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { SigningKey } from '../src/keys/entities/signing-key.entity';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const ISSUER = 'http://portcullis.test';
const AUDIENCE = 'http://api.portcullis.test';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
/** This process's clock, moved to `now`: only Date is faked, the app's timers and I/O keep running. */
function clockAt(now: number): void {
  jest.useFakeTimers({
    now,
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
}

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

function maxAgeOf(response: { headers: Record<string, string> }): number {
  const maxAge = /^public, max-age=(\d+)$/.exec(response.headers['cache-control'])?.[1];
  return maxAge === undefined ? NaN : Number(maxAge);
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
    clockTolerance: 30,
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

    it('promotes the published next key: new tokens use it, old tokens stay valid, a new next key is published', async () => {
      const user = await registerUser(t);
      const oldToken = await login(t, user);
      const oldKid = headerOf(oldToken).kid;
      const before = (await jwksOf(t)).keys.map((key) => key.kid);
      expect(before).toEqual([oldKid, expect.any(String)]);

      const newKid = await rotate(t, adminToken);

      expect(newKid).toBe(before[1]);
      const newToken = await login(t, user);
      expect(headerOf(newToken)).toEqual({ alg: 'RS256', kid: newKid, typ: 'at+jwt' });
      await t.http.get('/users/me').set(bearer(oldToken)).expect(200);
      await t.http.get('/users/me').set(bearer(newToken)).expect(200);
      const jwks = await jwksOf(t);
      const [, freshNext] = jwks.keys.map((key) => key.kid);
      expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, freshNext, oldKid]);
      expect(before).not.toContain(freshNext);
      expectPublicMembersOnly(jwks);
      await expect(verifyAsPeer(t, oldToken, 'RS256')).resolves.toBeDefined();
      await expect(verifyAsPeer(t, newToken, 'RS256')).resolves.toBeDefined();
    });

    it('records the rotation in the audit log with the administrator and the promoted kid', async () => {
      const kid = await rotate(t, adminToken);

      const events = (
        await t.http.get('/audit?type=key_rotated&limit=1').set(bearer(adminToken)).expect(200)
      ).body as Array<{ detail: Record<string, unknown> }>;
      const me = (await t.http.get('/users/me').set(bearer(adminToken)).expect(200)).body as {
        id: string;
      };
      expect(events[0].detail).toEqual({ kid, actorId: me.id });
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

    it("refuses tokens forged under the next key's kid, before and after it signs", async () => {
      const user = await registerUser(t);
      const [, next] = (await jwksOf(t)).keys;
      const now = Math.floor(Date.now() / 1000);
      const claims = {
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
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forgeries = [
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: next.kid, typ: 'at+jwt' })
          .sign(privateKey),
        // The published key as an HMAC secret (algorithm confusion).
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: next.kid, typ: 'at+jwt' })
          .sign(Buffer.from(JSON.stringify(next))),
      ];

      for (const forged of forgeries) {
        await t.http.get('/users/me').set(bearer(forged)).expect(401);
      }
      expect(await rotate(t, adminToken)).toBe(next.kid);
      for (const forged of forgeries) {
        await t.http.get('/users/me').set(bearer(forged)).expect(401);
      }
    });

    it('lets the JWKS be cached no longer than the next key has been published', async () => {
      const rotating = Date.now();
      await rotate(t, adminToken);
      const rotated = Date.now();
      expect(maxAgeOf(await t.http.get('/.well-known/jwks.json').expect(200))).toBeLessThanOrEqual(
        Math.floor((Date.now() - rotating) / 1000),
      );

      for (const seconds of [1.5, 42.5, 299.5]) {
        clockAt(rotated + seconds * 1000);
        try {
          const maxAge = maxAgeOf(await t.http.get('/.well-known/jwks.json').expect(200));

          expect(maxAge).toBeLessThanOrEqual(Math.floor((Date.now() - rotating) / 1000));
          expect(maxAge).toBeGreaterThanOrEqual(Math.floor(seconds));
        } finally {
          jest.useRealTimers();
        }
      }
    });

    it('caps the JWKS max-age at 300 seconds', async () => {
      clockAt(Date.now() + 3600 * 1000);
      try {
        const response = await t.http.get('/.well-known/jwks.json').expect(200);

        expect(response.headers['cache-control']).toBe('public, max-age=300');
      } finally {
        jest.useRealTimers();
      }
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

    it(`publishes its ${members.kty} public key and the next key, public members only`, async () => {
      const jwks = await jwksOf(t);

      const publicKey = {
        ...members,
        alg,
        use: 'sig',
        x: expect.any(String),
        ...(alg === 'ES256' ? { y: expect.any(String) } : {}),
      };
      expect(jwks.keys).toEqual([
        { ...publicKey, kid: serviceKid },
        { ...publicKey, kid: expect.not.stringMatching(serviceKid) },
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

    it(`rotates to the next ${alg} key`, async () => {
      const [, next] = (await jwksOf(t)).keys;
      const newKid = await rotate(t, await login(t, ADMIN));

      expect(newKid).toBe(next.kid);
      const newToken = await login(t, user);
      expect(headerOf(newToken)).toMatchObject({ alg, kid: newKid });
      expect((await jwksOf(t)).keys).toEqual([
        expect.objectContaining({ ...members, kid: newKid }),
        expect.objectContaining({ ...members, kid: expect.any(String) }),
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

    it('accepts a token signed with the key the first promoted, and serves the same JWKS at once', async () => {
      const user = await registerUser(first);
      const newKid = await rotate(first, await login(first, ADMIN));
      const fromFirst = await login(first, user);
      expect(headerOf(fromFirst).kid).toBe(newKid);

      await second.http.get('/users/me').set(bearer(fromFirst)).expect(200);

      expect(await jwksOf(second)).toEqual(await jwksOf(first));
      // Reading the JWKS read the keys: the second signs with the promoted key too.
      expect(headerOf(await login(second, user)).kid).toBe(newKid);
    });
  });

  describe('a retired key', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ ACCESS_TOKEN_TTL: '30' });
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    afterAll(async () => {
      await t.close();
    });

    it('verifies its tokens until they expire, then leaves the JWKS', async () => {
      const adminToken = await login(t, ADMIN);
      const oldToken = await login(t, await registerUser(t));
      const oldKid = headerOf(oldToken).kid;
      const rotatedAt = Date.now();
      const newKid = await rotate(t, adminToken);
      const { exp } = JSON.parse(Buffer.from(oldToken.split('.')[1], 'base64url').toString()) as {
        exp: number;
      };

      // 30 s of skew past exp: still accepted, here and by a peer.
      clockAt(exp * 1000 + 29 * 1000);
      await t.http.get('/users/me').set(bearer(oldToken)).expect(200);
      expect((await jwksOf(t)).keys.map((key) => key.kid)).toContain(oldKid);
      await expect(verifyAsPeer(t, oldToken, 'RS256')).resolves.toBeDefined();

      // 30 s of token life, 30 s of skew and 10 s for other instances to see the rotation.
      clockAt(rotatedAt + (30 + 30 + 10 + 1) * 1000);
      expect((await jwksOf(t)).keys.map((key) => key.kid)).toEqual([newKid, expect.any(String)]);
      await t.http.get('/users/me').set(bearer(oldToken)).expect(401);
    });
  });
});
