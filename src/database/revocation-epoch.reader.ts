import type { Database, Statement } from 'sqlite3';
import { DataSource } from 'typeorm';
import { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';

const READ_EPOCH = 'SELECT "value" FROM "revocation_epoch" WHERE "id" = 1';

interface EpochRow {
  // PostgreSQL returns a bigint as a string, SQLite as a number.
  value: string | number;
}

/**
 * Reads the revocation epoch (see the RevocationEpoch migration), which every authenticated
 * request waits for. On SQLite through a statement prepared once: sqlite3 runs an ad hoc query
 * as three jobs in libuv's thread pool (prepare, step, finalize) and a prepared statement as one,
 * and under a login flood those pool threads run below the event loop's priority
 * (WORKER_THREAD_NICE), so every hop adds to the wait of every request (issue 5).
 */
export class RevocationEpochReader {
  private statement?: Statement;

  constructor(private readonly dataSource: DataSource) {}

  async read(): Promise<bigint> {
    const { driver } = this.dataSource;
    const [row] =
      driver instanceof SqliteDriver
        ? await this.readPrepared(driver)
        : await this.dataSource.query<EpochRow[]>(READ_EPOCH);
    return BigInt(row.value);
  }

  /** sqlite3 refuses to close a database while a prepared statement is open. */
  close(): Promise<void> {
    const statement = this.statement;
    this.statement = undefined;
    return new Promise((resolve) => (statement ? statement.finalize(() => resolve()) : resolve()));
  }

  private readPrepared(driver: SqliteDriver): Promise<EpochRow[]> {
    // TypeORM types the sqlite3 connection as any.
    const statement = (this.statement ??= (driver.databaseConnection as Database).prepare(
      READ_EPOCH,
    ));
    // all() steps the statement to its end, so no read transaction stays open between reads.
    return new Promise((resolve, reject) =>
      statement.all<EpochRow>((error, rows) => (error ? reject(error) : resolve(rows))),
    );
  }
}
