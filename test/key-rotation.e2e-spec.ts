import { createRemoteJWKSet, jwtVerify } from 'jose';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DataSource } from 'typeorm';
import { SigningKey } from '../src/keys/entities/signing-key.entity';
import { SigningKeysService } from '../src/keys/signing-keys.service';
import { ADMIN, bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';

const ISSUER = 'http://portcullis.test';
const AUDIENCE = 'http://api.portcullis.test';
/**
 * Instances of one service share its issuer, whatever port each listens on. ES256, whose keys take
 * no time to make (an RSA key up to a second): the scheme does not depend on the algorithm.
 */
const SERVICE = { ISSUER, AUDIENCE, JWT_ALG: 'ES256' };

const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string }).kid;

const signingKid = (t: TestApp) => t.app.get(SigningKeysService).currentSigningKey().kid;

/** A peer service as examples/resource-server builds one: jose's remote JWKS, default options. */
function peerOf(t: TestApp) {
  let fetches = 0;
  t.app.getHttpServer().on('request', (request: IncomingMessage) => {
    if (request.url === '/.well-known/jwks.json') {
      fetches += 1;
    }
  });
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', t.url));
  return {
    verify: (token: string) =>
      jwtVerify(token, jwks, {
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        clockTolerance: 30,
      }),
    fetches: () => fetches,
  };
}

async function rotate(t: TestApp, adminToken: string): Promise<string> {
  const response = await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(201);
  return (response.body as { kid: string }).kid;
}

async function firstMomentWhen(condition: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`Not within ${timeoutMs} ms`);
    }
    await new Promise((tick) => setTimeout(tick, 1));
  }
  return performance.now();
}

/** Rotates on `rotating`; how long after it `other` signs with the promoted key too. */
async function rotateAndMeasure(
  rotating: TestApp,
  other: TestApp,
  adminToken: string,
): Promise<{ kid: string; lagMs: number }> {
  const before = signingKid(rotating);
  const answer = rotate(rotating, adminToken);
  const rotatedAt = await firstMomentWhen(() => signingKid(rotating) !== before, 5000);
  const reachedAt = await firstMomentWhen(() => signingKid(other) !== before, 5000);
  const kid = await answer;
  expect([signingKid(rotating), signingKid(other)]).toEqual([kid, kid]);
  return { kid, lagMs: reachedAt - rotatedAt };
}

describe('key rotation, as peers and other instances see it', () => {
  describe('a peer that fetched the JWKS before a rotation', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(SERVICE, { listen: true });
    });

    afterAll(async () => {
      await t.close();
    });

    it('verifies tokens signed after it without fetching the JWKS again', async () => {
      const peer = peerOf(t);
      const user = await registerUser(t);
      const before = await login(t, user);
      await peer.verify(before);
      expect(peer.fetches()).toBe(1);

      const kid = await rotate(t, await login(t, ADMIN));

      const after = await login(t, user);
      expect(kidOf(after)).toBe(kid);
      await expect(peer.verify(after)).resolves.toMatchObject({ protectedHeader: { kid } });
      await expect(peer.verify(before)).resolves.toBeDefined();
      expect(peer.fetches()).toBe(1);
    });
  });

  const propagation: Array<[string, Record<string, string>, number]> = [
    // Without Redis the other instance reads the keys every KEY_RELOAD_INTERVAL (1 s here).
    ['the periodic reload', { KEY_RELOAD_INTERVAL: '1' }, 1000 + 250],
  ];
  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl) {
    // A reload interval of 5 minutes: only the notice can explain a switch within the bound.
    propagation.push([
      'Redis pub/sub',
      {
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: `portcullis-test:${randomUUID()}:`,
        KEY_RELOAD_INTERVAL: '300',
      },
      250,
    ]);
  }

  describe.each(propagation)('two instances on one database, through %s', (_via, env, boundMs) => {
    let first: TestApp;
    let second: TestApp;
    let adminToken: string;

    beforeAll(async () => {
      first = await startTestApp({ ...SERVICE, ...env }, { listen: true });
      second = await startTestApp({ ...SERVICE, ...env }, { shareDatabaseOf: first });
      adminToken = await login(first, ADMIN);
    });

    afterAll(async () => {
      await second.close();
      await first.close();
    });

    it(`sign with the promoted key within ${boundMs} ms of each other, and a peer verifies both without a refetch`, async () => {
      const peer = peerOf(first);
      const user = await registerUser(first);
      await peer.verify(await login(second, user));

      const { kid, lagMs } = await rotateAndMeasure(first, second, adminToken);

      expect(lagMs).toBeLessThan(boundMs);
      const fromSecond = await login(second, user);
      expect(kidOf(fromSecond)).toBe(kid);
      await expect(peer.verify(fromSecond)).resolves.toBeDefined();
      await expect(peer.verify(await login(first, user))).resolves.toBeDefined();
      expect(peer.fetches()).toBe(1);
    });

    it('keep to that bound when the other instance rotates', async () => {
      const { lagMs } = await rotateAndMeasure(second, first, adminToken);

      expect(lagMs).toBeLessThan(boundMs);
    });
  });

  if (redisUrl) {
    describe('a notice on the Redis channel', () => {
      const prefix = `portcullis-test:${randomUUID()}:`;
      let t: TestApp;
      let redis: Redis;

      beforeAll(async () => {
        t = await startTestApp({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
        redis = new Redis(redisUrl);
      });

      afterAll(async () => {
        await redis.quit();
        await t.close();
      });

      it('only makes an instance read the keys: a forged one changes nothing', async () => {
        const kid = signingKid(t);
        const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as unknown;

        await redis.publish(`${prefix}signing-keys`, 'attacker-kid');
        await redis.publish(`${prefix}signing-keys`, JSON.stringify({ kid: 'attacker-kid' }));
        await t.app.get(SigningKeysService).refresh();

        expect(signingKid(t)).toBe(kid);
        expect((await t.http.get('/.well-known/jwks.json').expect(200)).body).toEqual(jwks);
        await t.http
          .get('/users/me')
          .set(bearer(await login(t, ADMIN)))
          .expect(200);
      });
    });
  }

  describe('scheduled rotation (KEY_ROTATION_INTERVAL=1s) on two instances', () => {
    const INTERVAL_MS = 1000;
    let first: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      const env = { JWT_ALG: 'ES256', KEY_ROTATION_INTERVAL: '1' };
      first = await startTestApp(env);
      second = await startTestApp(env, { shareDatabaseOf: first });
    });

    afterAll(async () => {
      await second.close();
      await first.close();
    });

    it('rotates exactly once per interval, whichever instance does it', async () => {
      const rows = first.app.get(DataSource).getRepository(SigningKey);
      // Generations 1 and 2 come from the start; each rotation adds one.
      await eventually(async () => (await rows.count()) >= 4, 6000);

      const keys = await rows.find({ order: { generation: 'ASC' } });
      expect(keys.map((key) => key.generation)).toEqual(keys.map((_, index) => index + 1));
      // A rotation publishes the next key of the one after it: their times are the rotations'.
      const rotatedAt = keys.slice(1).map((key) => key.createdAt.getTime());
      for (const [index, at] of rotatedAt.slice(1).entries()) {
        const gap = at - rotatedAt[index];
        expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS);
        expect(gap).toBeLessThan(INTERVAL_MS + 500);
      }
      const promoted = keys.slice(1, -1).map((key) => key.kid);
      const adminToken = await login(first, ADMIN);
      const audited = async () =>
        (
          (
            await first.http
              .get('/audit?type=key_rotated&limit=200')
              .set(bearer(adminToken))
              .expect(200)
          ).body as Array<{ detail: { kid: string; actorId: string | null } }>
        ).filter((event) => promoted.includes(event.detail.kid));
      await eventually(async () => (await audited()).length >= promoted.length, 1000);
      expect((await audited()).map((event) => event.detail).sort(byKid)).toEqual(
        promoted.map((kid) => ({ kid, actorId: null })).sort(byKid),
      );
    });
  });
});

const byKid = (a: { kid: string }, b: { kid: string }) => a.kid.localeCompare(b.kid);

async function eventually(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Not within ${timeoutMs} ms`);
    }
    await new Promise((tick) => setTimeout(tick, 50));
  }
}
