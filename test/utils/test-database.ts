import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../../src/config/database.config';
import { dataSourceOptions, migrations } from '../../src/database/data-source-options';

export interface TestDatabase {
  /** The DATABASE_URL the app under test gets. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh SQLite file, or a fresh PostgreSQL schema, for one test app. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.E2E_DATABASE === 'postgres') {
    const { config, drop } = await freshSchema('e2e');
    const url = new URL(config.url);
    url.searchParams.set('schema', config.schema);
    return { url: url.toString(), drop };
  }
  const { config, drop } = freshSqliteFile('e2e', 'portcullis.sqlite');
  return { url: `sqlite:${config.path}`, drop };
}

export interface MigratedDatabase {
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * A migrated database of its own for a unit spec: a fresh SQLite file, or a fresh schema on
 * TEST_DATABASE_URL's server. close() destroys the DataSource and drops what it made.
 */
export async function openMigratedDatabase(
  type: 'sqlite' | 'postgres',
  { migrationsBefore }: { migrationsBefore?: number } = {},
): Promise<MigratedDatabase> {
  const { config, drop } =
    type === 'postgres' ? await freshSchema('unit') : freshSqliteFile('unit', 'test.sqlite');
  const options = dataSourceOptions(config);
  const dataSource = await new DataSource({
    ...options,
    // Up to the migration a spec tests, which it then runs itself.
    migrations: migrations.filter(
      (migration) => migrationsBefore === undefined || timestampOf(migration) < migrationsBefore,
    ),
  }).initialize();
  await dataSource.runMigrations();
  return {
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await drop();
    },
  };
}

const timestampOf = (migration: { name: string }) => Number(/\d{13}$/.exec(migration.name)?.[0]);

interface FreshDatabase<Config extends DatabaseConfig> {
  config: Config;
  drop(): Promise<void>;
}

type PostgresConfig = Extract<DatabaseConfig, { type: 'postgres' }> & { schema: string };
type SqliteConfig = Extract<DatabaseConfig, { type: 'sqlite' }>;

async function freshSchema(prefix: string): Promise<FreshDatabase<PostgresConfig>> {
  const url = process.env.TEST_DATABASE_URL as string;
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  return {
    config: { type: 'postgres', url, schema },
    drop: async () => {
      await withClient(url, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}

function freshSqliteFile(prefix: string, file: string): FreshDatabase<SqliteConfig> {
  const folder = mkdtempSync(join(tmpdir(), `portcullis-${prefix}-`));
  return {
    config: { type: 'sqlite', path: join(folder, file) },
    drop: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
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
