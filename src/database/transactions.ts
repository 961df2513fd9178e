import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './constraint-violations';
import { sqliteDriver, writeGateFor } from './sqlite-write-gate';

/** A deadlock between two transactions ends one of them; it then runs again, from the start. */
const ATTEMPTS_AFTER_DEADLOCK = 3;

/**
 * Writes that must commit together, or not at all: a change and the audit event that records it.
 * PostgreSQL runs them in a transaction on one pooled connection. TypeORM's SQLite driver shares
 * one connection among all requests, so a transaction there would take in other requests'
 * statements: SQLite transactions run one at a time on a second connection to the same file,
 * while the first connection's writes wait for them (WriteGate).
 * Everything `work` writes must go through the manager it is given.
 */
@Injectable()
export class Transactions implements OnApplicationShutdown {
  private writer?: Promise<DataSource>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'sqlite') {
      return this.onPostgres(work);
    }
    const gate = writeGateFor(String(this.dataSource.options.database));
    const turn = gate.exclusive(async () => this.onSqlite(await this.sqliteWriter(), work));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue;
    const writer = await this.writer?.catch(() => undefined);
    if (writer?.isInitialized && writer !== this.dataSource) {
      await writer.destroy();
    }
  }

  // Rows are locked in whatever order statements and cascades reach them: a refresh locks its
  // token then its session, deleting a user the session then its tokens.
  private async onPostgres<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.dataSource.transaction(work);
      } catch (error) {
        if (attempt >= ATTEMPTS_AFTER_DEADLOCK || !isTransientConflict(error)) {
          throw error;
        }
      }
    }
  }

  /**
   * BEGIN IMMEDIATE takes the write lock at once, waiting out the busy timeout: a deferred
   * transaction that read first would fail outright (SQLITE_BUSY_SNAPSHOT) when the other
   * connection had written meanwhile.
   */
  private async onSqlite<T>(
    writer: DataSource,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const runner = writer.createQueryRunner();
    await runner.query('BEGIN IMMEDIATE');
    try {
      const result = await work(runner.manager);
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private sqliteWriter(): Promise<DataSource> {
    // A second connection to an in-memory database would be another, empty database.
    if (this.dataSource.options.database === ':memory:') {
      return Promise.resolve(this.dataSource);
    }
    // Ungated: it is the writer the gate lets through.
    this.writer ??= new DataSource({
      ...this.dataSource.options,
      driver: sqliteDriver(false),
      migrationsRun: false,
    })
      .initialize()
      .catch((error: unknown) => {
        this.writer = undefined;
        throw error;
      });
    return this.writer;
  }
}
