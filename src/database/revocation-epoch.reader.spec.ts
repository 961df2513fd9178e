import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { RevocationEpochReader } from './revocation-epoch.reader';

describe('RevocationEpochReader on SQLite', () => {
  let dir: string;
  let reading: DataSource;
  let writing: DataSource;

  function sqlite(database: string): DataSource {
    return new DataSource({ type: 'sqlite', database, enableWAL: true });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-epoch-'));
    // Two connections to one file, as two instances of the service would have.
    reading = await sqlite(join(dir, 'epoch.sqlite')).initialize();
    writing = await sqlite(join(dir, 'epoch.sqlite')).initialize();
    await writing.query(
      'CREATE TABLE "revocation_epoch" ("id" integer PRIMARY KEY, "value" integer)',
    );
    await writing.query('INSERT INTO "revocation_epoch" ("id", "value") VALUES (1, 7)');
  });

  afterEach(async () => {
    await Promise.all(
      [reading, writing].filter((ds) => ds.isInitialized).map((ds) => ds.destroy()),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees every epoch the other connection commits, read after read', async () => {
    const reader = new RevocationEpochReader(reading);

    expect(await reader.read()).toBe(7n);
    await writing.query('UPDATE "revocation_epoch" SET "value" = 8 WHERE "id" = 1');
    expect(await reader.read()).toBe(8n);
    await writing.query('UPDATE "revocation_epoch" SET "value" = 9 WHERE "id" = 1');
    expect(await reader.read()).toBe(9n);
    await reader.close();
  });

  it('lets the database close once it is closed itself', async () => {
    const reader = new RevocationEpochReader(reading);
    await reader.read();

    await reader.close();

    await expect(reading.destroy()).resolves.toBeUndefined();
  });
});
