import request from 'supertest';
import { DataSource } from 'typeorm';
import { READ_REVOCATION_EPOCH } from '../src/auth/revocation-epoch';
import { PersonalAccessToken } from '../src/personal-access-tokens/entities/personal-access-token.entity';
import { PersonalAccessTokenUsage } from '../src/personal-access-tokens/personal-access-token-usage';
import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { captureLogs } from './utils/captured-logs';
import { createPersonalAccessToken, withBadChecksum } from './utils/personal-access-tokens';
import { TcpProxy } from './utils/tcp-proxy';
import { createTestDatabase } from './utils/test-database';
import {
  ADMIN,
  bearer,
  HttpOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';
import { ThrottledApps, throttleStores } from './utils/throttled-apps';

async function storedLastUse(t: TestApp, id: string): Promise<Date | null> {
  const row = await t.app
    .get(DataSource)
    .getRepository(PersonalAccessToken)
    .findOneByOrFail({ id });
  return row.lastUsedAt === null ? null : new Date(row.lastUsedAt);
}

async function epoch(t: TestApp): Promise<bigint> {
  const [row] = await t.app
    .get(DataSource)
    .query<Array<{ value: string | number }>>(READ_REVOCATION_EPOCH);
  return BigInt(row.value);
}

/** Instance B: the built service in a process of its own, on A's database and store. */
function startInstanceB(a: TestApp, redis: string | undefined, prefix?: string): Promise<BuiltApp> {
  return startBuiltApp({
    DATABASE_URL: a.database.url,
    ...(redis && prefix ? { REDIS_URL: redis, REDIS_KEY_PREFIX: prefix } : {}),
    ISSUER: 'http://portcullis.test',
    AUDIENCE: 'http://api.portcullis.test',
    TOKEN_REQUESTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  });
}

/**
 * Instance A answers from memory while the revocation epoch stands still: each test has A accept
 * the token first, changes something through B, and expects A's very next answer to reflect it.
 * B is another process: Passport's strategies are global to a process, so a second in-process
 * app would answer A's requests with its own state.
 */
describe.each(throttleStores())(
  'personal access tokens on two instances (%s store)',
  (_name, redis) => {
    const apps = new ThrottledApps(redis);
    let a: TestApp;
    let built: BuiltApp;
    let b: HttpOf;
    let adminToken: string;

    beforeAll(async () => {
      a = await apps.start();
      built = await startInstanceB(a, redis, apps.prefixOf(a));
      b = { http: request(built.url) };
      adminToken = await login(b, ADMIN);
    });

    afterAll(async () => {
      await stopBuiltApp(built);
      await apps.closeAll();
    });

    async function tokenAcceptedByA() {
      const user = await registerUser(a);
      const session = await login(a, user);
      const created = await createPersonalAccessToken(a, session);
      await a.http.get('/users/me').set(bearer(created.token)).expect(200);
      return { user, session, created, pat: created.token };
    }

    it('refuses at once a token its owner revoked on the other instance', async () => {
      const { session, created, pat } = await tokenAcceptedByA();

      await b.http.delete(`/users/me/tokens/${created.id}`).set(bearer(session)).expect(204);

      await a.http.get('/users/me').set(bearer(pat)).expect(401);
    });

    it('refuses at once a token revoked through /auth/revoke on the other instance', async () => {
      const { pat } = await tokenAcceptedByA();

      await b.http.post('/auth/revoke').type('form').send({ token: pat }).expect(200);

      await a.http.get('/users/me').set(bearer(pat)).expect(401);
    });

    it('answers 403 at once for an account disabled on the other instance, 401 once deleted', async () => {
      const disabled = await tokenAcceptedByA();
      const deleted = await tokenAcceptedByA();

      await b.http
        .patch(`/users/${disabled.user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: true })
        .expect(200);
      await b.http.delete(`/users/${deleted.user.id}`).set(bearer(adminToken)).expect(204);

      await a.http.get('/users/me').set(bearer(disabled.pat)).expect(403);
      await a.http.get('/users/me').set(bearer(deleted.pat)).expect(401);
    });

    it('refuses at once a token an admin revoked on the other instance', async () => {
      const { user, created, pat } = await tokenAcceptedByA();

      await b.http
        .delete(`/users/${user.id}/tokens/${created.id}`)
        .set(bearer(adminToken))
        .expect(204);

      await a.http.get('/users/me').set(bearer(pat)).expect(401);
    });
  },
);

describe('when a personal access token was last used', () => {
  let a: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
  });

  afterAll(async () => {
    await a.close();
  });

  it('is kept in memory, written once per flush without moving the revocation epoch, and listed meanwhile', async () => {
    const session = await login(a, await registerUser(a));
    const created = await createPersonalAccessToken(a, session);
    const before = await epoch(a);
    const firstUse = Date.now();
    for (let i = 0; i < 20; i += 1) {
      await a.http.get('/users/me').set(bearer(created.token)).expect(200);
    }
    const lastUse = Date.now();

    // No write per request: nothing is stored yet, though the instance that saw the uses lists them.
    expect(await storedLastUse(a, created.id)).toBeNull();
    const listed = await a.http.get('/users/me/tokens').set(bearer(session)).expect(200);
    const listedUse = Date.parse((listed.body as Array<{ lastUsedAt: string }>)[0].lastUsedAt);
    expect(listedUse).toBeGreaterThanOrEqual(firstUse);
    expect(listedUse).toBeLessThanOrEqual(lastUse);

    await a.app.get(PersonalAccessTokenUsage).flush();

    expect((await storedLastUse(a, created.id))?.getTime()).toBe(listedUse);
    expect(await epoch(a)).toBe(before);
  });

  it("is another instance's too, written when it shuts down, and never goes back", async () => {
    const built = await startInstanceB(a, undefined);
    try {
      const b = { http: request(built.url) };
      const session = await login(a, await registerUser(a));
      const shared = await createPersonalAccessToken(a, session);
      const onlyOnB = await createPersonalAccessToken(a, session);
      await b.http.get('/users/me').set(bearer(shared.token)).expect(200);
      await b.http.get('/users/me').set(bearer(onlyOnB.token)).expect(200);
      const lastUseOnB = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await a.http.get('/users/me').set(bearer(shared.token)).expect(200);
      await a.app.get(PersonalAccessTokenUsage).flush();
      const newerOnA = await storedLastUse(a, shared.id);
      expect(newerOnA?.getTime()).toBeGreaterThan(lastUseOnB);
      expect(await storedLastUse(a, onlyOnB.id)).toBeNull();

      await stopBuiltApp(built);

      expect(await storedLastUse(a, shared.id)).toEqual(newerOnA);
      expect((await storedLastUse(a, onlyOnB.id))?.getTime()).toBeLessThanOrEqual(lastUseOnB);
    } finally {
      await stopBuiltApp(built);
    }
  });
});

// A cut database: a well-formed token needs it (503), a mistyped one is refused without it (401).
if (process.env.E2E_DATABASE === 'postgres') {
  describe('personal access tokens while PostgreSQL is unreachable', () => {
    let proxy: TcpProxy;
    let t: TestApp;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const database = await createTestDatabase();
      drop = database.drop;
      const url = new URL(database.url);
      proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      await proxy.open();
      url.host = `127.0.0.1:${proxy.port}`;
      t = await startTestApp({ DATABASE_URL: url.toString(), DATABASE_TIMEOUT: '1' });
    });

    afterAll(async () => {
      await proxy.open();
      await t.close();
      await proxy.cut();
      await drop();
    });

    it('refuses a bad checksum with 401 without the database, where a well-formed token gets 503', async () => {
      const session = await login(t, await registerUser(t));
      const { token } = await createPersonalAccessToken(t, session);
      const logs = captureLogs();
      try {
        await proxy.cut();

        await t.http
          .get('/users/me')
          .set(bearer(withBadChecksum(token)))
          .expect(401);
        await t.http.get('/users/me').set(bearer(token)).expect(503);
      } finally {
        await proxy.open();
        logs.release();
      }
      await t.http.get('/users/me').set(bearer(token)).expect(200);
    });

    it('keeps the uses a failed flush could not write, and writes them at the next one', async () => {
      const session = await login(t, await registerUser(t));
      const created = await createPersonalAccessToken(t, session);
      await t.http.get('/users/me').set(bearer(created.token)).expect(200);
      const usage = t.app.get(PersonalAccessTokenUsage);
      const logs = captureLogs();
      try {
        await proxy.cut();
        await expect(usage.flush()).resolves.toBeUndefined();
        expect(logs.lines(40).map((line) => line.msg)).toEqual([
          expect.stringMatching(/^Could not store when \d+ personal access tokens were last used/),
        ]);
      } finally {
        await proxy.open();
        logs.release();
      }

      await usage.flush();

      expect(await storedLastUse(t, created.id)).not.toBeNull();
    });
  });
}
