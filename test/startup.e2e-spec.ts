import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Exit, runBuiltApp } from './utils/built-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

// TypeORM alone retries nine times, three seconds apart: a quick exit proves no retry happened.
const QUICK_EXIT_MS = 15000;
const onPostgres = process.env.E2E_DATABASE === 'postgres';
const randomPort = () => String(20000 + Math.floor(Math.random() * 20000));

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  req?: object;
}

const logLines = (stdout: string): LogLine[] =>
  stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);

async function failedStart(env: Record<string, string>): Promise<Exit & { ms: number }> {
  const started = Date.now();
  const exit = await runBuiltApp({ PORT: randomPort(), LOG_LEVEL: 'info', ...env }).exited;
  return { ...exit, ms: Date.now() - started };
}

function expectOnePlainLine(exit: Exit & { ms: number }, cause: RegExp): void {
  expect(exit.code).not.toBe(0);
  expect(exit.code).not.toBeNull();
  expect(exit.ms).toBeLessThan(QUICK_EXIT_MS);
  const lines = exit.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^portcullis: cannot start: /);
  expect(lines[0]).toMatch(cause);
  expect(exit.stdout + exit.stderr).not.toMatch(/\bat \S+ \(|"stack"/);
  expect(logLines(exit.stdout).filter((line) => line.level >= 50)).toEqual([]);
}

/** Runs the app until `until` matches a log line, then stops it; the log lines so far. */
async function logUntil(
  env: Record<string, string>,
  until: (line: LogLine) => boolean,
): Promise<LogLine[]> {
  const { child, exited } = runBuiltApp({ PORT: randomPort(), LOG_LEVEL: 'info', ...env });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20000;
  try {
    while (!logLines(output.slice(0, output.lastIndexOf('\n') + 1)).some(until)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no such line; the app wrote: ${output}${(await exited).stderr}`);
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
  } finally {
    child.kill('SIGTERM');
  }
  expect((await exited).code).toBe(0);
  return logLines(output);
}

describe('the built app as an operator starts it', () => {
  let folder: string;
  let database: TestDatabase;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'portcullis-startup-'));
    database = await createTestDatabase();
  });

  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await database.drop();
  });

  // A password the server never asks for (trust): it must still never reach the log.
  const databaseUrl = (): string => {
    const url = new URL(database.url);
    if (onPostgres) {
      url.password = 'never-logged-secret';
    }
    return url.toString();
  };

  it('says where it listens, where its data is and where the docs are, in one line', async () => {
    const lines = await logUntil({ DATABASE_URL: databaseUrl() }, (line) =>
      line.msg.startsWith('listening on'),
    );
    const operatorLines = lines.filter((line) => line.level >= 30 && line.req === undefined);
    expect(operatorLines).toHaveLength(1);
    const where = onPostgres
      ? /PostgreSQL 127\.0\.0\.1:5432\/\w+ \(schema e2e_\w+\)/
      : /SQLite \/\S+portcullis\.sqlite/;
    expect(operatorLines[0].msg).toMatch(
      new RegExp(
        `^listening on http://127\\.0\\.0\\.1:\\d+; ${where.source}; Swagger UI at /docs$`,
      ),
    );
    expect(JSON.stringify(lines)).not.toContain('never-logged-secret');
  });

  it('ends with one line when its port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    try {
      const port = (taken.address() as AddressInfo).port;
      const exit = await failedStart({ DATABASE_URL: databaseUrl(), PORT: String(port) });
      expectOnePlainLine(exit, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      taken.close();
    }
  });

  const server = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');
  const postgresUrl = (user: string, databaseName: string) =>
    `postgres://${user}:wrong-secret@${server.host}/${databaseName}`;
  const permanentFailures: [string, () => Record<string, string>, RegExp][] = onPostgres
    ? [
        [
          'a PostgreSQL database that does not exist',
          () => ({ DATABASE_URL: postgresUrl('postgres', 'portcullis_missing') }),
          /PostgreSQL [\d.:]+\/portcullis_missing: database "portcullis_missing" does not exist/,
        ],
        [
          'a PostgreSQL user the server refuses',
          () => ({ DATABASE_URL: postgresUrl('portcullis_bogus_user', 'test') }),
          /PostgreSQL [\d.:]+\/test: .*"portcullis_bogus_user"/,
        ],
      ]
    : [
        [
          'a SQLite path whose folder cannot be made',
          () => {
            writeFileSync(join(folder, 'a-file'), '');
            return { DATABASE_URL: `sqlite:${join(folder, 'a-file', 'data', 'db.sqlite')}` };
          },
          /SQLite \S+a-file\/data\/db\.sqlite: ENOTDIR: not a directory/,
        ],
        [
          'a SQLite file that is not a database',
          () => {
            writeFileSync(join(folder, 'not-a-database'), 'x'.repeat(4096));
            return { DATABASE_URL: `sqlite:${join(folder, 'not-a-database')}` };
          },
          /SQLite \S+not-a-database: file is not a database/,
        ],
      ];

  it.each(permanentFailures)(
    'ends at once, in one line, for %s (no retry)',
    async (_case, env, cause) => {
      const exit = await failedStart(env());
      expectOnePlainLine(exit, cause);
      expect(exit.stderr).not.toContain('wrong-secret');
    },
  );

  it('warns, naming the URL without its password and the error, when Redis is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((listening) => closed.listen(0, '127.0.0.1', listening));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const lines = await logUntil(
      { DATABASE_URL: databaseUrl(), REDIS_URL: `redis://:redis-secret@127.0.0.1:${port}` },
      (line) => line.level === 40 && line.msg.includes('Redis'),
    );
    const warning = lines.find((line) => line.level === 40)?.msg;
    expect(warning).toContain(`Redis at redis://127.0.0.1:${port} is unreachable`);
    expect(warning).toContain('ECONNREFUSED');
    expect(JSON.stringify(lines)).not.toContain('redis-secret');
  });

  it('warns that the issuer is unusable when HOST=0.0.0.0 has no ISSUER', async () => {
    const lines = await logUntil({ DATABASE_URL: databaseUrl(), HOST: '0.0.0.0' }, (line) =>
      line.msg.startsWith('listening on'),
    );
    const warnings = lines.filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toEqual([expect.stringMatching(/^HOST=0\.0\.0\.0 with no ISSUER: .*ISSUER/)]);
  });

  it('does not warn about the issuer when HOST=0.0.0.0 comes with an ISSUER', async () => {
    const lines = await logUntil(
      { DATABASE_URL: databaseUrl(), HOST: '0.0.0.0', ISSUER: 'http://auth.test:3000' },
      (line) => line.msg.startsWith('listening on'),
    );
    expect(lines.filter((line) => line.level === 40)).toEqual([]);
  });
});
