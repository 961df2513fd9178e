import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BuiltApp,
  MAIN,
  passwordLogin,
  runBuiltApp,
  startBuiltApp,
  stopBuiltApp,
} from './utils/built-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

async function waitForHttp(url: string, deadlineMs: number): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
}

/** The nice value of each thread of a process, by thread id (proc(5): field 19 of stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const values = new Map<number, number>();
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    // The thread's name (field 2) is in parentheses and may hold spaces; field 3 follows it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    values.set(Number(thread), Number(fields[19 - 3]));
  }
  return values;
}

describe('the built app at start-up', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) {
      throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
    }
  });

  it.each([
    ['PORT', { PORT: 'not-a-port' }],
    ['PORT', { PORT: '70000' }],
    ['JWT_ALG', { JWT_ALG: 'none' }],
    ['JWT_SECRET', { JWT_ALG: 'HS256', JWT_SECRET: 'short-secret-value' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/portcullis' }],
    ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: 'forever' }],
    ['REGISTRATION_ENABLED', { REGISTRATION_ENABLED: 'perhaps' }],
    ['ISSUER', { NODE_ENV: 'production', ISSUER: 'http://auth.example.com' }],
    ['BOOTSTRAP_ADMIN_PASSWORD', { BOOTSTRAP_ADMIN_USERNAME: 'root' }],
    ['WORKER_THREAD_NICE', { WORKER_THREAD_NICE: '-5' }],
  ])('exits non-zero with one line naming %s', async (variable, env) => {
    const { exited } = runBuiltApp({ DATABASE_URL: 'sqlite::memory:', ...env });
    const { code, stderr } = await exited;
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(stderr).not.toMatch(/\bat \S+ \(/);
    expect(stderr).not.toContain('short-secret-value');
  });

  it('exits with one line when the bootstrap admin password breaks the policy', async () => {
    const { exited } = runBuiltApp({
      DATABASE_URL: 'sqlite::memory:',
      BOOTSTRAP_ADMIN_USERNAME: 'root',
      BOOTSTRAP_ADMIN_PASSWORD: 'password',
    });
    const { code, stderr } = await exited;
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('BOOTSTRAP_ADMIN_PASSWORD');
  });

  describe('with a good configuration', () => {
    let folder: string;
    let database: TestDatabase;

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'portcullis-boot-'));
      database = await createTestDatabase();
    });

    afterAll(async () => {
      rmSync(folder, { recursive: true, force: true });
      await database.drop();
    });

    it('serves the API and Swagger UI, then exits 0 on SIGTERM', async () => {
      const port = String(20000 + Math.floor(Math.random() * 20000));
      const sqliteDefault = process.env.E2E_DATABASE !== 'postgres';
      const databaseUrl = sqliteDefault
        ? `sqlite:${join(folder, 'nested', 'db.sqlite')}`
        : database.url;
      const { child, exited } = runBuiltApp({ PORT: port, DATABASE_URL: databaseUrl });
      try {
        const docs = await waitForHttp(`http://127.0.0.1:${port}/docs-json`, 20000);
        expect(docs.status).toBe(200);
        const me = await fetch(`http://127.0.0.1:${port}/users/me`);
        expect(me.status).toBe(401);
        if (sqliteDefault) {
          expect(existsSync(join(folder, 'nested', 'db.sqlite'))).toBe(true);
        }
      } finally {
        child.kill('SIGTERM');
      }
      const { code } = await exited;
      expect(code).toBe(0);
    });

    it.each([
      ['19 by default', {}, 0, 19],
      ['4 with WORKER_THREAD_NICE=4', { WORKER_THREAD_NICE: '4' }, 0, 4],
      ['0, unchanged, with WORKER_THREAD_NICE=0', { WORKER_THREAD_NICE: '0' }, 0, 0],
      ['15 when the whole app was started at nice 5', { WORKER_THREAD_NICE: '10' }, 5, 15],
      ['19, the lowest there is, when started at nice 5 by default', {}, 5, 19],
    ])(
      'runs every thread but the event loop at nice %s, so that hashing yields to requests',
      async (_case, extraEnv: Record<string, string>, loopNice, workerNice) => {
        const port = String(20000 + Math.floor(Math.random() * 20000));
        const { child, exited } = runBuiltApp(
          {
            PORT: port,
            DATABASE_URL: `sqlite:${join(folder, `nice-${loopNice}-${workerNice}.sqlite`)}`,
            ...extraEnv,
          },
          loopNice,
        );
        try {
          expect((await waitForHttp(`http://127.0.0.1:${port}/health`, 20000)).status).toBe(200);
          const nice = threadNiceValues(child.pid as number);
          expect(nice.get(child.pid as number)).toBe(loopNice);
          const workers = [...nice].filter(([thread]) => thread !== child.pid);
          // At least libuv's pool of 4, which the start-up argon2 hash has created.
          expect(workers.length).toBeGreaterThanOrEqual(4);
          expect(workers.map(([, value]) => value)).toEqual(workers.map(() => workerNice));
        } finally {
          child.kill('SIGTERM');
        }
        expect((await exited).code).toBe(0);
      },
    );

    it('hashes below the event loop after a start that gave libuv no work (the admin already there)', async () => {
      const port = String(20000 + Math.floor(Math.random() * 20000));
      const env = {
        PORT: port,
        DATABASE_URL: database.url,
        BOOTSTRAP_ADMIN_USERNAME: 'nice.admin',
        BOOTSTRAP_ADMIN_PASSWORD: 'a passphrase for the nice test',
      };
      // The first start creates the admin (one hash); the second finds it and hashes nothing,
      // which on PostgreSQL leaves libuv's pool unstarted until the first login.
      const first = runBuiltApp(env);
      expect((await waitForHttp(`http://127.0.0.1:${port}/health`, 20000)).status).toBe(200);
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);

      const { child, exited } = runBuiltApp(env);
      try {
        expect((await waitForHttp(`http://127.0.0.1:${port}/health`, 20000)).status).toBe(200);
        const login = await passwordLogin(`http://127.0.0.1:${port}`, {
          username: env.BOOTSTRAP_ADMIN_USERNAME,
          password: env.BOOTSTRAP_ADMIN_PASSWORD,
        });
        expect(login.status).toBe(200);
        const nice = threadNiceValues(child.pid as number);
        const workers = [...nice].filter(([thread]) => thread !== child.pid);
        expect(workers.map(([, value]) => value)).toEqual(workers.map(() => 19));
      } finally {
        child.kill('SIGTERM');
      }
      expect((await exited).code).toBe(0);
    });
  });
});

// SQLite is one file taken by one writer at a time; the race is PostgreSQL's.
if (process.env.E2E_DATABASE === 'postgres') {
  describe('several instances starting together on an empty PostgreSQL database', () => {
    let database: TestDatabase;
    const apps: BuiltApp[] = [];

    beforeAll(async () => {
      database = await createTestDatabase();
    });

    afterAll(async () => {
      await Promise.all(apps.map((app) => stopBuiltApp(app)));
      await database.drop();
    });

    it('migrate under a lock: every one starts at the first attempt', async () => {
      const env = { DATABASE_URL: database.url, LOG_LEVEL: 'info' };
      apps.push(...(await Promise.all([1, 2, 3].map(() => startBuiltApp(env)))));
      for (const app of apps) {
        expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
        expect(app.stdout()).not.toMatch(/Unable to connect to the database|Retrying/);
      }
    });
  });
}
