import { createHmac, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { passwordGrant, TokenPair } from './utils/oauth';
import { TcpProxy } from './utils/tcp-proxy';
import { bearer, registerUser, startTestApp, TestApp } from './utils/test-app';

// HS256 with a secret the test knows, so that it can move a real token's exp into the past.
const JWT_SECRET = 'denylist-test-secret-0123456789abcdefghij';
const HS256 = { JWT_ALG: 'HS256', JWT_SECRET };
/** Verification accepts a token up to this long past its exp (src/tokens/clock-skew.ts). */
const LEEWAY_SECONDS = 30;

interface Claims {
  jti: string;
  exp: number;
}

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Claims;

/** The same token (same jti, session, user) with exp moved to 5 s ago: expired, inside the leeway. */
function expiredWithinLeeway(token: string): string {
  const [header] = token.split('.');
  const claims = { ...claimsOf(token), exp: Math.floor(Date.now() / 1000) - 5 };
  const input = `${header}.${segment(claims)}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
}

/** Where the `jti` denylist lives: the database by default, Redis when REDIS_URL is set. */
const stores: Array<[string, string | undefined]> = [['database', undefined]];
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl) {
  stores.push(['redis', redisUrl]);
}

describe.each(stores)('the access-token denylist in the %s', (store, redis) => {
  // Each app gets its own Redis key prefix, so parallel test files never share entries.
  const prefix = `portcullis-test:${randomUUID()}:`;
  const redisEnv = { REDIS_URL: redis, REDIS_KEY_PREFIX: prefix };
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...redisEnv, ...HS256 });
  });

  afterAll(async () => {
    await t.close();
  });

  async function revoke(app: TestApp, token: string): Promise<void> {
    await app.http
      .post('/auth/revoke')
      .type('form')
      .send({ token, token_type_hint: 'access_token' })
      .expect(200);
  }

  async function freshPair(app: TestApp): Promise<TokenPair> {
    return passwordGrant(app, await registerUser(app));
  }

  it('refuses a revoked token for as long as it could still verify, past its exp', async () => {
    const late = expiredWithinLeeway((await freshPair(t)).access_token);
    // Past exp, inside the leeway: the token still verifies, so only the denylist can refuse it.
    await t.http.get('/users/me').set(bearer(late)).expect(200);

    await revoke(t, late);
    await t.http.get('/users/me').set(bearer(late)).expect(401);
    // Revoking another token is what prunes the database's expired entries.
    await revoke(t, (await freshPair(t)).access_token);
    await t.http.get('/users/me').set(bearer(late)).expect(401);
  });

  if (store === 'redis') {
    it('keeps the entry in Redis, expiring with the leeway, and none in the database', async () => {
      const pair = await freshPair(t);
      const { jti, exp } = claimsOf(pair.access_token);
      await revoke(t, pair.access_token);
      const until = (exp + LEEWAY_SECONDS) * 1000;

      const client = new Redis(redis as string);
      try {
        const ttl = await client.pttl(`${prefix}denylist:${jti}`);
        expect(ttl).toBeGreaterThan(until - Date.now() - 5_000);
        expect(ttl).toBeLessThanOrEqual(until - Date.now() + 1_000);
      } finally {
        client.disconnect();
      }
      const rows: unknown[] = await t.app
        .get(DataSource)
        .query('SELECT "jti" FROM "revoked_access_tokens"');
      expect(rows).toEqual([]);
    });

    /**
     * The other instance is a separate process (`dist/`): instances in one process would share
     * Passport's strategy registry, so a request to one could be checked by the other.
     */
    async function otherInstance(env: Record<string, string>): Promise<BuiltApp> {
      return startBuiltApp({
        DATABASE_URL: t.database.url,
        ISSUER: 'http://portcullis.test',
        AUDIENCE: 'http://api.portcullis.test',
        TOKEN_REQUESTS_PER_MINUTE: '100000',
        LOG_LEVEL: 'fatal',
        REDIS_KEY_PREFIX: prefix,
        ...HS256,
        ...env,
      });
    }

    it('is shared by instances: a token accepted on one is refused there once revoked on the other', async () => {
      const other = await otherInstance({ REDIS_URL: redis as string });
      try {
        const pair = await freshPair(t);
        // This instance now answers for the token from memory, until the revocation epoch moves.
        await t.http.get('/users/me').set(bearer(pair.access_token)).expect(200);
        await request(other.url)
          .post('/auth/revoke')
          .type('form')
          .send({ token: pair.access_token, token_type_hint: 'access_token' })
          .expect(200);
        await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
      } finally {
        await stopBuiltApp(other);
      }
    });

    // SQLite is a file in the process: it cannot become unreachable the way a server can, and no
    // other writer can hold one row of it while the instance waits.
    if (process.env.E2E_DATABASE === 'postgres') {
      it('answers 503 and revokes nothing while the database is unreachable', async () => {
        const database = new URL(t.database.url);
        const proxy = new TcpProxy({
          host: database.hostname,
          port: Number(database.port || 5432),
        });
        await proxy.open();
        database.host = `127.0.0.1:${proxy.port}`;
        const other = await otherInstance({
          REDIS_URL: redis as string,
          DATABASE_URL: database.toString(),
        });
        try {
          const pair = await freshPair(t);
          await proxy.cut();
          await request(other.url)
            .post('/auth/revoke')
            .type('form')
            .send({ token: pair.access_token, token_type_hint: 'access_token' })
            .expect(503);
          // Told 503, the caller knows to retry: nothing was half-done in the meantime.
          await t.http.get('/users/me').set(bearer(pair.access_token)).expect(200);
          await proxy.open();
          await revoke(t, pair.access_token);
          await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
        } finally {
          await stopBuiltApp(other);
          await proxy.cut();
        }
      });

      it('makes a revocation that reached Redis count everywhere once the database lets it', async () => {
        const other = await otherInstance({ REDIS_URL: redis as string, DATABASE_TIMEOUT: '1' });
        const holder = new Client({ connectionString: t.database.url });
        await holder.connect();
        try {
          const pair = await freshPair(t);
          // This instance now answers for the token from memory, until the revocation epoch moves.
          await t.http.get('/users/me').set(bearer(pair.access_token)).expect(200);
          await holder.query('BEGIN');
          const schema = new URL(t.database.url).searchParams.get('schema') as string;
          await holder.query(
            `SELECT 1 FROM "${schema}"."revocation_epoch" WHERE "id" = 1 FOR UPDATE`,
          );
          // The entry reaches Redis; the raise of the epoch times out behind the held row.
          await request(other.url)
            .post('/auth/revoke')
            .type('form')
            .send({ token: pair.access_token, token_type_hint: 'access_token' })
            .expect(503);
          await holder.query('ROLLBACK');

          // No client retries the revocation: the other instance must raise the epoch itself.
          const deadline = Date.now() + 15_000;
          let status = 200;
          while (status === 200 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            ({ status } = await t.http.get('/users/me').set(bearer(pair.access_token)));
          }
          expect(status).toBe(401);
        } finally {
          await stopBuiltApp(other);
          await holder.end();
        }
      });
    }

    it('fails closed when Redis cannot be reached: 503, nothing reported revoked', async () => {
      const cutOff = await otherInstance({ REDIS_URL: 'redis://127.0.0.1:1' });
      try {
        const pair = await freshPair(t);
        const refused = await request(cutOff.url)
          .post('/auth/revoke')
          .type('form')
          .send({ token: pair.access_token, token_type_hint: 'access_token' })
          .expect(503);
        expect(refused.body).toMatchObject({ error: 'temporarily_unavailable' });
        await request(cutOff.url).get('/users/me').set(bearer(pair.access_token)).expect(503);
        // Not revoked, as the 503 said: the instance that reaches Redis still accepts it.
        await t.http.get('/users/me').set(bearer(pair.access_token)).expect(200);
      } finally {
        await stopBuiltApp(cutOff);
      }
    });
  }
});
