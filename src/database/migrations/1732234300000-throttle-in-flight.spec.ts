import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrations } from '../data-source-options';
import { ThrottleInFlight1732234300000 } from './1732234300000-throttle-in-flight';

const before = migrations.filter((migration) => migration !== ThrottleInFlight1732234300000);

describe('ThrottleInFlight1732234300000', () => {
  it('keeps existing counters with no attempts in flight, and reverts', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portcullis-migration-'));
    const dataSource = new DataSource({
      type: 'sqlite',
      database: join(folder, 'throttle.sqlite'),
      migrations: before,
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      await dataSource.query(
        `INSERT INTO throttle_counters ("key", "count", "delayMs", "blockedUntil", "expiresAt")` +
          ` VALUES ('login:pair:x', 5, 30000, 1732233930000, 1732320330000)`,
      );

      dataSource.migrations.push(new ThrottleInFlight1732234300000());
      await dataSource.runMigrations();
      expect(await dataSource.query(`SELECT * FROM throttle_counters`)).toEqual([
        {
          key: 'login:pair:x',
          count: 5,
          delayMs: 30000,
          blockedUntil: 1732233930000,
          expiresAt: 1732320330000,
          inFlight: 0,
          inFlightUntil: 0,
          inFlightGeneration: 0,
        },
      ]);

      await dataSource.undoLastMigration();
      const [row] = await dataSource.query<Array<Record<string, unknown>>>(
        `SELECT * FROM throttle_counters`,
      );
      expect(Object.keys(row)).toEqual(['key', 'count', 'delayMs', 'blockedUntil', 'expiresAt']);
    } finally {
      await dataSource.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
