import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrations } from '../data-source-options';
import { SessionTokenVersion1732234100000 } from './1732234100000-session-token-version';

const before = migrations.filter((migration) => migration !== SessionTokenVersion1732234100000);

describe('SessionTokenVersion1732234100000', () => {
  it("gives existing sessions their user's token version and keeps the revocation triggers", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portcullis-migration-'));
    const path = join(folder, 'sessions.sqlite');
    const dataSource = new DataSource({ type: 'sqlite', database: path, migrations: before });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      await dataSource.query(
        `INSERT INTO users (id, username, "normalizedUsername", "passwordHash", roles, "passwordChangedAt", "tokenVersion")` +
          ` VALUES ('u1', 'Ada', 'ada', 'hash', '["user"]', '2025-01-01 00:00:00.000', 2)`,
      );
      await dataSource.query(
        `INSERT INTO sessions (id, "userId", scope, "createdAt", "lastUsedAt", "expiresAt")` +
          ` VALUES ('s1', 'u1', 'profile', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000', '2026-01-01 00:00:00.000')`,
      );

      dataSource.migrations.push(new SessionTokenVersion1732234100000());
      await dataSource.runMigrations();

      expect(await dataSource.query(`SELECT "tokenVersion" FROM sessions`)).toEqual([
        { tokenVersion: 2 },
      ]);
      const epoch = async () =>
        (await dataSource.query<Array<{ value: number }>>('SELECT value FROM revocation_epoch'))[0]
          .value;
      const epochBefore = await epoch();
      await dataSource.query(
        `UPDATE sessions SET "revokedAt" = '2025-06-01 00:00:00.000' WHERE id = 's1'`,
      );
      expect(await epoch()).toBe(epochBefore + 1);
    } finally {
      await dataSource.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
