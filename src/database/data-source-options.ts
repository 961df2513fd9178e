import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions, MigrationExecutor } from 'typeorm';
import { DatabaseConfig } from '../config/database.config';
import { sqliteDriver } from './sqlite-write-gate';
import { SigningKey } from '../keys/entities/signing-key.entity';
import { User } from '../users/entities/user.entity';
import { InitialSchema1732233600000 } from './migrations/1732233600000-initial-schema';
import { SessionsClientsAudit1732233800000 } from './migrations/1732233800000-sessions-clients-audit';
import { SigningKeyRotation1732233700000 } from './migrations/1732233700000-signing-key-rotation';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { Client } from '../clients/entities/client.entity';
import { RefreshToken } from '../sessions/entities/refresh-token.entity';
import { Session } from '../sessions/entities/session.entity';
import { RevokedAccessToken } from '../tokens/entities/revoked-access-token.entity';
import { ThrottleCounter } from '../throttling/entities/throttle-counter.entity';
import { OutboxMessage } from '../mail/entities/outbox-message.entity';
import { AccountToken } from '../recovery/entities/account-token.entity';
import { Throttling1732233900000 } from './migrations/1732233900000-throttling';
import { RevocationEpoch1732234000000 } from './migrations/1732234000000-revocation-epoch';
import { SessionTokenVersion1732234100000 } from './migrations/1732234100000-session-token-version';
import { PublicClients1732234200000 } from './migrations/1732234200000-public-clients';
import { ClientSecretRotation1732235000000 } from './migrations/1732235000000-client-secret-rotation';
import { ThrottleInFlight1732234300000 } from './migrations/1732234300000-throttle-in-flight';
import { NextSigningKey1732234400000 } from './migrations/1732234400000-next-signing-key';
import { ScheduledRuns1732234500000 } from './migrations/1732234500000-scheduled-runs';
import { PersonalAccessTokens1732234800000 } from './migrations/1732234800000-personal-access-tokens';
import { PersonalAccessToken } from '../personal-access-tokens/entities/personal-access-token.entity';
import { SecondFactor1732234700000 } from './migrations/1732234700000-second-factor';
import { SessionAmr1732234710000 } from './migrations/1732234710000-session-amr';
import { MfaChallenge } from '../mfa/entities/mfa-challenge.entity';
import { RecoveryCode } from '../mfa/entities/recovery-code.entity';
import { TotpFactor } from '../mfa/entities/totp-factor.entity';
import { MailOutboxAndAccountTokens1732234600000 } from './migrations/1732234600000-mail-outbox-and-account-tokens';
import { AdminListIndexes1732234900000 } from './migrations/1732234900000-admin-list-indexes';

export const entities = [
  User,
  SigningKey,
  Session,
  RefreshToken,
  RevokedAccessToken,
  Client,
  AuditEvent,
  ThrottleCounter,
  PersonalAccessToken,
  TotpFactor,
  RecoveryCode,
  MfaChallenge,
  OutboxMessage,
  AccountToken,
];
export const migrations = [
  InitialSchema1732233600000,
  SessionsClientsAudit1732233800000,
  SigningKeyRotation1732233700000,
  Throttling1732233900000,
  RevocationEpoch1732234000000,
  SessionTokenVersion1732234100000,
  PublicClients1732234200000,
  ThrottleInFlight1732234300000,
  NextSigningKey1732234400000,
  ScheduledRuns1732234500000,
  PersonalAccessTokens1732234800000,
  SecondFactor1732234700000,
  SessionAmr1732234710000,
  MailOutboxAndAccountTokens1732234600000,
  AdminListIndexes1732234900000,
  ClientSecretRotation1732235000000,
];

const DEFAULT_TIMEOUT_MS = 5000;

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const common = {
    entities,
    migrations,
    synchronize: false,
    // `findOneBy({ id: undefined })` would otherwise match the first row: a login-bypass class.
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
  } as const;
  if (config.type === 'sqlite') {
    return {
      type: 'sqlite',
      database: config.path,
      driver: sqliteDriver(true),
      // WAL: one fsync per commit, not several (a login makes ten writes); readers never wait.
      enableWAL: config.path !== ':memory:',
      // Another process holding the write lock makes a statement wait this long, then fail (503).
      busyTimeout: timeoutMs,
      ...common,
    };
  }
  return {
    type: 'postgres',
    url: config.url,
    schema: config.schema,
    extra: {
      // A server that accepts connections but never answers must not hold requests (or a
      // shutdown) for as long as it stays silent: each wait ends in an error, answered 503.
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      // Raw SQL in migrations and queries must land in the same schema as the entity tables.
      ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
    },
    ...common,
  };
}

/** SQLite creates the file but not its folder; both are made readable by the owner only. */
export function prepareSqliteFile(config: DatabaseConfig): void {
  if (config.type === 'sqlite' && config.path !== ':memory:') {
    mkdirSync(dirname(config.path), { recursive: true, mode: 0o700 });
    // SQLite gives its -wal and -shm files the database file's mode.
    closeSync(openSync(config.path, 'a', 0o600));
  }
}

const MIGRATIONS_LOCK = 'portcullis.migrations';

/**
 * Migrations under a lock on PostgreSQL: instances starting together on an empty database each
 * created the same tables, and all but one failed and retried. SQLite takes one writer at a time.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  if (options.type !== 'postgres') {
    // The same connection throughout: a `:memory:` database lives only as long as it.
    const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
    await dataSource.runMigrations();
    return dataSource;
  }
  await migrate(options);
  return new DataSource({ ...options, migrationsRun: false }).initialize();
}

/** Runs the pending migrations; the names of those it ran. */
export async function migrate(options: DataSourceOptions): Promise<string[]> {
  if (options.type !== 'postgres') {
    return withDataSource(options, async (dataSource) => names(await dataSource.runMigrations()));
  }
  // Without the statement timeouts: a migration may take longer than a request ever should.
  const unbounded = {
    ...options,
    extra: { ...(options.extra as object), query_timeout: 0, statement_timeout: 0 },
  };
  return withDataSource(unbounded, async (dataSource) => {
    // A session lock, on a connection of its own, held while the migrations use others.
    const lock = dataSource.createQueryRunner();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATIONS_LOCK]);
      try {
        return names(await dataSource.runMigrations());
      } finally {
        await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATIONS_LOCK]);
      }
    } finally {
      await lock.release();
    }
  });
}

export interface MigrationState {
  name: string;
  applied: boolean;
}

/** Every migration this build knows, oldest first, and whether the database has it. */
export function migrationStatus(options: DataSourceOptions): Promise<MigrationState[]> {
  return withDataSource(options, async (dataSource) => {
    const executor = new MigrationExecutor(dataSource);
    const applied = new Set(names(await executor.getExecutedMigrations()));
    // TypeORM orders migrations by the timestamp ending each class name, as here.
    return dataSource.migrations
      .map((migration) => migration.name ?? migration.constructor.name)
      .sort((a, b) => Number(a.slice(-13)) - Number(b.slice(-13)))
      .map((name) => ({ name, applied: applied.has(name) }));
  });
}

const names = (migrations: { name: string }[]): string[] => migrations.map(({ name }) => name);

async function withDataSource<T>(
  options: DataSourceOptions,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
