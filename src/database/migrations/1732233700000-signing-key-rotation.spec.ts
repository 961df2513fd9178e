import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { InitialSchema1732233600000 } from './1732233600000-initial-schema';
import { SigningKeyRotation1732233700000 } from './1732233700000-signing-key-rotation';

async function databaseBeforeRotation(path: string): Promise<void> {
  const before = new DataSource({
    type: 'sqlite',
    database: path,
    migrations: [InitialSchema1732233600000],
  });
  await before.initialize();
  await before.runMigrations();
  await before.destroy();
}

describe('SigningKeyRotation1732233700000', () => {
  it('makes the oldest key of each algorithm the signer and retires the start-up race losers', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'portcullis-migration-'));
    const path = join(folder, 'keys.sqlite');
    await databaseBeforeRotation(path);
    const dataSource = new DataSource({
      type: 'sqlite',
      database: path,
      migrations: [InitialSchema1732233600000, SigningKeyRotation1732233700000],
    });
    await dataSource.initialize();
    try {
      const insert = (kid: string, alg: string, createdAt: string) =>
        dataSource.query(
          `INSERT INTO signing_keys (kid, alg, "publicKeyPem", "privateKeyPem", "createdAt") VALUES (?, ?, 'pub', 'priv', ?)`,
          [kid, alg, createdAt],
        );
      await insert('rs-loser', 'RS256', '2025-01-01 00:00:00.200');
      await insert('rs-signer', 'RS256', '2025-01-01 00:00:00.100');
      await insert('es-signer', 'ES256', '2025-02-01 00:00:00.000');

      await dataSource.runMigrations();

      // Read as stored: the entity has moved on (1732234400000).
      const stored = await dataSource.query<
        Array<{ kid: string; generation: number; activatesAt: string; retiredAt: string | null }>
      >(
        'SELECT kid, generation, "activatesAt", "retiredAt" FROM signing_keys ORDER BY alg, generation DESC',
      );
      expect(stored).toEqual([
        {
          kid: 'es-signer',
          generation: 1,
          activatesAt: '2025-02-01 00:00:00.000',
          retiredAt: null,
        },
        {
          kid: 'rs-signer',
          generation: 2,
          activatesAt: '2025-01-01 00:00:00.100',
          retiredAt: null,
        },
        {
          kid: 'rs-loser',
          generation: 1,
          activatesAt: '2025-01-01 00:00:00.200',
          retiredAt: '2025-01-01 00:00:00.200',
        },
      ]);
    } finally {
      await dataSource.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
