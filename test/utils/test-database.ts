import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';

export interface TestDatabase {
  /** The DATABASE_URL the app under test gets. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh SQLite file, or a fresh PostgreSQL schema, for one test app. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.E2E_DATABASE === 'postgres') {
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const schema = `e2e_${randomBytes(6).toString('hex')}`;
    await withClient(serverUrl, (client) => client.query(`CREATE SCHEMA ${schema}`));
    const url = new URL(serverUrl);
    url.searchParams.set('schema', schema);
    return {
      url: url.toString(),
      drop: async () => {
        await withClient(serverUrl, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      },
    };
  }
  const folder = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  return {
    url: `sqlite:${join(folder, 'portcullis.sqlite')}`,
    drop: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
  };
}

export interface MigratedDatabase {
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * A migrated database of its own for a unit spec: a fresh SQLite file, or a fresh schema on
 * TEST_DATABASE_URL's server. close() destroys the DataSource and drops what it made.
 */
export async function openMigratedDatabase(type: 'sqlite' | 'postgres'): Promise<MigratedDatabase> {
  if (type === 'postgres') {
    const serverUrl = process.env.TEST_DATABASE_URL as string;
    const schema = `unit_${randomBytes(6).toString('hex')}`;
    await withClient(serverUrl, (client) => client.query(`CREATE SCHEMA ${schema}`));
    const dataSource = await new DataSource(
      dataSourceOptions({ type: 'postgres', url: serverUrl, schema }),
    ).initialize();
    await dataSource.runMigrations();
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await withClient(serverUrl, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      },
    };
  }
  const folder = mkdtempSync(join(tmpdir(), 'portcullis-unit-'));
  const dataSource = await new DataSource(
    dataSourceOptions({ type: 'sqlite', path: join(folder, 'test.sqlite') }),
  ).initialize();
  await dataSource.runMigrations();
  return {
    dataSource,
    close: async () => {
      await dataSource.destroy();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
