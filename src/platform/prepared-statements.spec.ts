import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { Session } from '../sessions/entities/session.entity';
import { User } from '../users/entities/user.entity';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { Transactions } from '../database/transactions';
import { PreparedStatements } from './prepared-statements';

const databases: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (process.env.TEST_DATABASE_URL) {
  databases.push('postgres');
}

// Milliseconds kept: both databases store them, and a lost fraction would show here.
const at = (iso: string): Date => new Date(iso);

describe.each(databases)('PreparedStatements on %s', (type) => {
  let database: MigratedDatabase;
  let statements: PreparedStatements;

  beforeAll(async () => {
    database = await openMigratedDatabase(type);
  });

  beforeEach(() => {
    statements = new PreparedStatements(database.dataSource);
  });

  afterEach(async () => {
    await statements.onModuleDestroy();
  });

  afterAll(async () => {
    await database.close();
  });

  async function insertUser(overrides: Partial<User> = {}): Promise<string> {
    const id = randomUUID();
    await database.dataSource.getRepository(User).insert({
      id,
      username: 'Prepared.Reader',
      normalizedUsername: `prepared.reader.${id}`,
      email: null,
      fullName: 'Prepared Reader',
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      roles: ['user'],
      disabled: false,
      passwordChangedAt: at('2026-11-22T08:00:00.250Z'),
      ...overrides,
    });
    return id;
  }

  it('inserts rows that TypeORM reads back unchanged: dates, nulls and JSON', async () => {
    const session: Session = {
      id: randomUUID(),
      userId: await insertUser(),
      clientId: null,
      scope: 'openid profile',
      tokenVersion: 3,
      amr: 'pwd otp',
      createdAt: at('2026-11-22T08:15:30.123Z'),
      lastUsedAt: at('2026-11-22T08:15:30.456Z'),
      expiresAt: at('2026-12-22T08:15:30.789Z'),
      revokedAt: null,
      userAgent: 'agent/1.0',
      ip: '203.0.113.7',
    };
    const event: AuditEvent = {
      id: randomUUID(),
      type: 'login_succeeded',
      userId: session.userId,
      clientId: 'cli',
      ip: null,
      userAgent: null,
      at: at('2026-11-22T08:15:31.001Z'),
      detail: { outcome: 'success', attempts: 2, remembered: false, note: null },
    };

    await statements.insertInto(Session)(session);
    await statements.insertInto(AuditEvent)(event);

    const manager = database.dataSource.manager;
    expect(await manager.findOneBy(Session, { id: session.id })).toEqual(session);
    expect(await manager.findOneBy(AuditEvent, { id: event.id })).toEqual(event);
  });

  it('stores a Date from a faked clock as the date it is', async () => {
    jest.useFakeTimers({
      now: at('2027-01-02T03:04:05.678Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    const event: AuditEvent = {
      id: randomUUID(),
      type: 'login_succeeded',
      userId: null,
      clientId: null,
      ip: null,
      userAgent: null,
      at: new Date(),
      detail: {},
    };
    try {
      await statements.insertInto(AuditEvent)(event);
    } finally {
      jest.useRealTimers();
    }

    const stored = await database.dataSource.manager.findOneByOrFail(AuditEvent, { id: event.id });
    expect(new Date(stored.at).toISOString()).toBe('2027-01-02T03:04:05.678Z');
  });

  it('selects the entity a repository builds, select: false columns included', async () => {
    const id = await insertUser({ roles: ['user', 'admin'], disabled: true, tokenVersion: 3 });
    const byUsername = statements.selectWhere(User, 'normalizedUsername');

    const [user, ...others] = await byUsername(`prepared.reader.${id}`);

    const expected = await database.dataSource
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOneOrFail();
    expect(others).toEqual([]);
    expect(user).toBeInstanceOf(User);
    expect(user).toEqual(expected);
    expect(user.passwordHash).toBe('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA');
    expect(user.disabled).toBe(true);
    expect(await byUsername('nobody')).toEqual([]);
  });

  it('binds a numbered parameter everywhere it appears and counts the rows a write changed', async () => {
    const table = statements.table(AuditEvent);
    const type = `type-${randomUUID()}`;
    const insert = statements.insertInto(AuditEvent);
    for (const userId of ['a', 'b', 'c']) {
      await insert({
        id: randomUUID(),
        type,
        userId,
        clientId: null,
        ip: null,
        userAgent: null,
        at: at('2026-11-22T09:00:00.000Z'),
        detail: {},
      });
    }
    const relabel = statements.prepare(
      (p) =>
        `UPDATE ${table} SET "clientId" = ${p(1)} WHERE "type" = ${p(2)} AND "userId" <> ${p(1)}`,
    );

    await expect(relabel.run(['b', type])).resolves.toBe(2);
    const count = statements.prepare(
      (p) => `SELECT COUNT(*) AS "n" FROM ${table} WHERE "type" = ${p(1)} AND "clientId" = ${p(2)}`,
    );
    const [row] = await count.rows<{ n: string | number }>([type, 'b']);
    expect(Number(row.n)).toBe(2);
  });

  it("inserts inside a transaction on the transaction's connection: committed with it, or not at all", async () => {
    const transactions = new Transactions(database.dataSource);
    const insertEvent = statements.insertInto(AuditEvent);
    const event = (type: string): AuditEvent => ({
      id: randomUUID(),
      type,
      userId: null,
      clientId: null,
      ip: null,
      userAgent: null,
      at: at('2026-11-22T09:00:00.000Z'),
      detail: {},
    });
    const kept = event('kept');
    const lost = event('lost');

    await transactions.run((manager) => insertEvent(kept, manager));
    await expect(
      transactions.run(async (manager) => {
        await insertEvent(lost, manager);
        throw new Error('the change failed after the insert');
      }),
    ).rejects.toThrow('the change failed');

    await statements.onModuleDestroy();
    await transactions.onApplicationShutdown();
    const manager = database.dataSource.manager;
    expect(await manager.findOneBy(AuditEvent, { id: kept.id })).toEqual(kept);
    expect(await manager.findOneBy(AuditEvent, { id: lost.id })).toBeNull();
  });

  it('refuses insertInto for an entity whose columns the database fills in', () => {
    expect(() => statements.insertInto(User)).toThrow(/createdAt, updatedAt/);
  });

  it('keeps answering after it was closed, without preparing again', async () => {
    const table = statements.table(AuditEvent);
    const count = statements.prepare(() => `SELECT COUNT(*) AS "n" FROM ${table}`);
    await count.rows();

    await statements.onModuleDestroy();

    const [row] = await count.rows<{ n: string | number }>();
    expect(Number(row.n)).toBeGreaterThanOrEqual(0);
  });
});

describe('PreparedStatements on SQLite with a second connection', () => {
  let folder: string;
  let reading: DataSource;
  let writing: DataSource;

  function sqlite(database: string): DataSource {
    return new DataSource({ type: 'sqlite', database, enableWAL: true });
  }

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'portcullis-prepared-'));
    // Two connections to one file, as two instances of the service would have.
    reading = await sqlite(join(folder, 'epoch.sqlite')).initialize();
    writing = await sqlite(join(folder, 'epoch.sqlite')).initialize();
    await writing.query('CREATE TABLE "epoch" ("id" integer PRIMARY KEY, "value" integer)');
    await writing.query('INSERT INTO "epoch" ("id", "value") VALUES (1, 7)');
  });

  afterEach(async () => {
    await Promise.all(
      [reading, writing].filter((ds) => ds.isInitialized).map((ds) => ds.destroy()),
    );
    rmSync(folder, { recursive: true, force: true });
  });

  it('sees every value the other connection commits, read after read', async () => {
    const statements = new PreparedStatements(reading);
    const read = statements.prepare(() => 'SELECT "value" FROM "epoch" WHERE "id" = 1');
    const value = async () => (await read.rows<{ value: number }>())[0].value;

    expect(await value()).toBe(7);
    await writing.query('UPDATE "epoch" SET "value" = 8 WHERE "id" = 1');
    expect(await value()).toBe(8);
    await writing.query('UPDATE "epoch" SET "value" = 9 WHERE "id" = 1');
    expect(await value()).toBe(9);
    await statements.onModuleDestroy();
  });

  it('lets the database close when a statement is first made and used after the others closed', async () => {
    const statements = new PreparedStatements(reading);

    await statements.onModuleDestroy();
    const late = statements.prepare(() => 'SELECT "value" FROM "epoch" WHERE "id" = 1');
    await late.rows();

    await expect(reading.destroy()).resolves.toBeUndefined();
  });

  it('lets the database close once its statements are closed, even if used afterwards', async () => {
    const statements = new PreparedStatements(reading);
    const read = statements.prepare(() => 'SELECT "value" FROM "epoch" WHERE "id" = 1');
    await read.rows();

    await statements.onModuleDestroy();
    await read.rows();

    await expect(reading.destroy()).resolves.toBeUndefined();
  });
});
