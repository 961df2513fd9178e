import { Database } from 'sqlite3';
import { passwordGrant } from './utils/oauth';
import { BuiltApp, passwordLogin, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { captureLogs, CapturedLogs } from './utils/captured-logs';
import { TcpProxy } from './utils/tcp-proxy';
import { createTestDatabase, TestDatabase } from './utils/test-database';
import {
  bearer,
  credentialsOf,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
} from './utils/test-app';

/** Milliseconds a request took to be answered, with its status. */
async function timed(request: PromiseLike<{ status: number }>): Promise<[number, number]> {
  const started = Date.now();
  const { status } = await request;
  return [status, Date.now() - started];
}

// A database that accepts connections and then never answers (a hung server, or a firewall that
// drops packets) must cost a request at most DATABASE_TIMEOUT, and a shutdown SHUTDOWN_TIMEOUT.
if (process.env.E2E_DATABASE === 'postgres') {
  describe('when PostgreSQL hangs', () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let url: URL;
    let logs: CapturedLogs;

    beforeAll(async () => {
      logs = captureLogs();
      database = await createTestDatabase();
      url = new URL(database.url);
      proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      await proxy.open();
      url.host = `127.0.0.1:${proxy.port}`;
    });

    afterAll(async () => {
      await proxy.cut();
      await database.drop();
      logs.release();
    });

    describe('in flight', () => {
      let t: TestApp;

      beforeAll(async () => {
        t = await startTestApp({ DATABASE_URL: url.toString(), DATABASE_TIMEOUT: '1' });
      });

      afterAll(async () => {
        await proxy.open();
        await t.close();
      });

      it('answers 503 with Retry-After within the timeout, and recovers once it answers again', async () => {
        const user = await registerUser(t);
        const pair = await passwordGrant(t, credentialsOf(user));
        proxy.stall();

        const answers = await Promise.all([
          timed(t.http.get('/users/me').set(bearer(pair.access_token))),
          timed(t.http.post('/auth/token').type('form').send(credentialsOf(user))),
          timed(t.http.post('/auth/revoke').type('form').send({ token: pair.refresh_token })),
          timed(t.http.get('/health/ready')),
        ]);
        for (const [status, ms] of answers) {
          expect({ status, withinBound: ms < 4000 }).toEqual({ status: 503, withinBound: true });
        }
        const me = await t.http.get('/users/me').set(bearer(pair.access_token)).expect(503);
        expect(me.headers['retry-after']).toBe('5');

        await proxy.open();
        await t.http.get('/users/me').set(bearer(pair.access_token)).expect(200);
        await passwordGrant(t, credentialsOf(user));
      });
    });

    describe('at shutdown', () => {
      let app: BuiltApp;

      beforeAll(async () => {
        await proxy.open();
        app = await startBuiltApp({
          DATABASE_URL: url.toString(),
          DATABASE_TIMEOUT: '30',
          SHUTDOWN_TIMEOUT: '2',
        });
      });

      afterAll(async () => {
        await stopBuiltApp(app);
      });

      it('exits within SHUTDOWN_TIMEOUT even with requests stuck on the database', async () => {
        proxy.stall();
        const stuck = [1, 2, 3].map(() =>
          passwordLogin(app.url, { username: 'nobody.here', password: STRONG_PASSWORD }).catch(
            () => undefined,
          ),
        );
        await new Promise((wait) => setTimeout(wait, 300));
        const started = Date.now();
        app.child.kill('SIGTERM');
        const { code } = await app.exited;
        expect(Date.now() - started).toBeLessThan(5000);
        expect(code).toBe(1);
        expect(app.stdout()).toContain('Not closed within SHUTDOWN_TIMEOUT');
        await Promise.all(stuck);
      });
    });
  });
}

// SQLite waits for another process's write lock at most DATABASE_TIMEOUT (its busy timeout).
if (process.env.E2E_DATABASE !== 'postgres') {
  describe('when another process holds the SQLite write lock', () => {
    let t: TestApp;
    let logs: CapturedLogs;

    beforeAll(async () => {
      logs = captureLogs();
      t = await startTestApp({ DATABASE_TIMEOUT: '1' });
    });

    afterAll(async () => {
      await t.close();
      logs.release();
    });

    const holdLock = async (): Promise<() => Promise<void>> => {
      const holder = new Database(t.database.url.slice('sqlite:'.length));
      await new Promise<void>((done, fail) =>
        holder.exec('BEGIN EXCLUSIVE', (error) => (error ? fail(error) : done())),
      );
      return () =>
        new Promise<void>((done) => holder.exec('ROLLBACK', () => holder.close(() => done())));
    };

    it('waits for a lock held briefly instead of failing at once', async () => {
      const user = await registerUser(t);
      const release = await holdLock();
      setTimeout(() => void release(), 300);
      await passwordGrant(t, credentialsOf(user));
    });

    it('answers a write with 503 once the lock outlasts the busy timeout, not a hang', async () => {
      const user = await registerUser(t);
      const release = await holdLock();
      try {
        const [status, ms] = await timed(
          t.http.post('/auth/token').type('form').send(credentialsOf(user)),
        );
        expect({ status, withinBound: ms >= 900 && ms < 4000 }).toEqual({
          status: 503,
          withinBound: true,
        });
      } finally {
        await release();
      }
      await passwordGrant(t, credentialsOf(user));
    });
  });
}
