import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MigratedDatabase, openMigratedDatabase } from '../../../test/utils/test-database';
import { authSettings } from '../../../test/utils/auth-settings';
import { SigningKey } from '../../keys/entities/signing-key.entity';
import { newSigningKey } from '../../keys/key-material';
import { SigningKeysService } from '../../keys/signing-keys.service';
import { NextSigningKey1732234400000 } from './1732234400000-next-signing-key';

const settings = authSettings();

const HOUR = 3_600_000;

/** A timestamp as the driver returns it: a Date (PostgreSQL) or UTC text (SQLite). */
function timeOf(value: Date | string | null): number | null {
  if (value === null) {
    return null;
  }
  return value instanceof Date ? value.getTime() : Date.parse(`${value.replace(' ', 'T')}Z`);
}

const databases: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (process.env.TEST_DATABASE_URL) {
  databases.push('postgres');
}

describe.each(databases)('NextSigningKey1732234400000 on %s', (type) => {
  let database: MigratedDatabase;
  let dataSource: DataSource;
  const now = Date.now();

  /** Keys as the previous schema held them: a retired key, the signing key, and one waiting. */
  async function storeKeysOfBefore(): Promise<string[]> {
    const kids: string[] = [];
    const times: Array<[number, number | null]> = [
      [now - 2 * HOUR, now - HOUR],
      [now - HOUR, null],
    ];
    for (const [index, [activatesAt, retiredAt]] of times.entries()) {
      const key = await newSigningKey('ES256');
      await dataSource
        .createQueryBuilder()
        .insert()
        .into('signing_keys')
        .values({
          ...key,
          generation: index + 1,
          createdAt: new Date(activatesAt),
          activatesAt: new Date(activatesAt),
          retiredAt: retiredAt === null ? null : new Date(retiredAt),
        })
        .execute();
      kids.push(key.kid);
    }
    return kids;
  }

  beforeEach(async () => {
    database = await openMigratedDatabase(type, { migrationsBefore: 1732234400000 });
    dataSource = database.dataSource;
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await database.close();
  });

  async function migrate(): Promise<void> {
    dataSource.migrations.push(new NextSigningKey1732234400000());
    await dataSource.runMigrations();
  }

  it('keeps the signing key signing and its predecessor retired, and the next start adds a next key', async () => {
    const [retired, signing] = await storeKeysOfBefore();

    await migrate();
    const instances = [0, 1, 2].map(
      () => new SigningKeysService(settings, dataSource.getRepository(SigningKey)),
    );
    await Promise.all(instances.map((keys) => keys.onModuleInit()));

    const stored = await dataSource
      .getRepository(SigningKey)
      .find({ order: { generation: 'ASC' } });
    expect(stored.map((key) => [key.kid, key.activatesAt?.getTime() ?? null])).toEqual([
      [retired, now - 2 * HOUR],
      [signing, now - HOUR],
      [expect.any(String), null],
    ]);
    for (const keys of instances) {
      expect(keys.currentSigningKey().kid).toBe(signing);
      expect(keys.nextKey()?.kid).toBe(stored[2].kid);
      // Retired an hour ago, past 900 s of token life: no longer published.
      expect(keys.verificationKey(retired)).toBeUndefined();
      await keys.onModuleDestroy();
    }
  });

  it('keeps one key per algorithm and generation', async () => {
    await storeKeysOfBefore();
    await migrate();

    await expect(
      dataSource
        .getRepository(SigningKey)
        .insert({ ...(await newSigningKey('ES256')), generation: 2 }),
    ).rejects.toThrow();
  });

  it('undoes itself: promoted keys get the time they started signing, next keys go', async () => {
    await storeKeysOfBefore();
    await migrate();
    const keys = new SigningKeysService(settings, dataSource.getRepository(SigningKey));
    await keys.onModuleInit();
    await keys.onModuleDestroy();
    const promotedNext = new Date(now + 1000);
    const rows = dataSource.getRepository(SigningKey);
    await rows.insert({
      ...(await newSigningKey('ES256')),
      generation: 4,
      createdAt: promotedNext,
    });

    await dataSource.undoLastMigration();

    const stored = await dataSource.query<
      Array<{ generation: number; activatesAt: Date | string; retiredAt: Date | string | null }>
    >('SELECT generation, "activatesAt", "retiredAt" FROM signing_keys ORDER BY generation');
    expect(
      stored.map((row) => [row.generation, timeOf(row.activatesAt), timeOf(row.retiredAt)]),
    ).toEqual([
      [1, now - 2 * HOUR, now - HOUR],
      [2, now - HOUR, promotedNext.getTime()],
      [3, promotedNext.getTime(), null],
    ]);
  });
});
