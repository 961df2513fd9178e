import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { types } from 'node:util';
import type { Database, RunResult, Statement } from 'sqlite3';
import {
  DataSource,
  EntityManager,
  EntityMetadata,
  EntityTarget,
  ObjectLiteral,
  QueryResult,
} from 'typeorm';
import { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';
import { isWrite, WriteGate, writeGateFor } from '../database/sqlite-write-gate';

export type Placeholder = (position: number) => string;

// Prepared once on SQLite: sqlite3 runs an ad hoc query as three jobs in libuv's pool (the threads
// hashing passwords), a prepared one as one (docs/performance.md, Measured machinery).
export class PreparedStatement {
  /** One per connection: a transaction's writes go through Transactions' own connection. */
  private readonly statements = new Map<Database, Statement>();
  private closed = false;
  private readonly gate?: WriteGate;

  constructor(
    private readonly dataSource: DataSource,
    readonly sql: string,
  ) {
    if (dataSource.options.type === 'sqlite' && isWrite(sql)) {
      this.gate = writeGateFor(String(dataSource.options.database));
    }
  }

  async rows<Row>(params: readonly unknown[] = []): Promise<Row[]> {
    const database = this.sqlite();
    if (!database) {
      return (await this.query(params)).records as Row[];
    }
    return this.gate
      ? this.gate.write(() => this.all(database, params))
      : this.all(database, params);
  }

  async run(params: readonly unknown[] = []): Promise<number> {
    const database = this.sqlite();
    if (!database) {
      return (await this.query(params)).affected ?? 0;
    }
    return this.gate
      ? this.gate.write(() => this.execute(database, params))
      : this.execute(database, params);
  }

  /** Inside a transaction of Transactions.run, on its connection; that connection is not gated. */
  async runIn(transaction: EntityManager, params: readonly unknown[] = []): Promise<number> {
    const database = sqliteConnectionOf(transaction.connection);
    if (!database) {
      const runner = transaction.queryRunner;
      const result = runner
        ? await runner.query(this.sql, [...params], true)
        : await this.query(params);
      return result.affected ?? 0;
    }
    return this.execute(database, params);
  }

  private all<Row>(database: Database, params: readonly unknown[]): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, rows: Row[]) => (error ? reject(error) : resolve(rows));
      // all() steps the statement to its end, so no read transaction stays open between calls.
      if (this.closed) {
        database.all(this.sql, params, done);
      } else {
        this.prepared(database).all(params, done);
      }
    });
  }

  private execute(database: Database, params: readonly unknown[]): Promise<number> {
    return new Promise((resolve, reject) => {
      function done(this: RunResult, error: Error | null): void {
        if (error) {
          reject(error);
        } else {
          resolve(this.changes);
        }
      }
      if (this.closed) {
        database.run(this.sql, params, done);
      } else {
        this.prepared(database).run(params, done);
      }
    });
  }

  /** sqlite3 will not close a database with a prepared statement: later calls run unprepared. */
  close(): Promise<void> {
    this.closed = true;
    const statements = [...this.statements.values()];
    this.statements.clear();
    return Promise.all(
      statements.map(
        (statement) => new Promise<void>((resolve) => statement.finalize(() => resolve())),
      ),
    ).then(() => undefined);
  }

  private sqlite(): Database | undefined {
    return sqliteConnectionOf(this.dataSource);
  }

  private prepared(database: Database): Statement {
    let statement = this.statements.get(database);
    if (!statement) {
      statement = database.prepare(this.sql);
      this.statements.set(database, statement);
    }
    return statement;
  }

  private async query(params: readonly unknown[]): Promise<QueryResult> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await runner.query(this.sql, [...params], true);
    } finally {
      await runner.release();
    }
  }
}

@Injectable()
export class PreparedStatements implements OnModuleDestroy {
  private readonly open = new Set<PreparedStatement>();
  private closed = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  prepare(build: (placeholder: Placeholder) => string): PreparedStatement {
    const placeholder: Placeholder =
      this.dataSource.driver instanceof SqliteDriver ? (n) => `?${n}` : (n) => `$${n}`;
    const statement = new PreparedStatement(this.dataSource, build(placeholder));
    if (this.closed) {
      // Made during shutdown (the throttle store prepares reset() lazily): never prepared.
      void statement.close();
    } else {
      this.open.add(statement);
    }
    return statement;
  }

  table(target: EntityTarget<ObjectLiteral>): string {
    const { driver } = this.dataSource;
    return this.dataSource
      .getMetadata(target)
      .tablePath.split('.')
      .map((part) => driver.escape(part))
      .join('.');
  }

  /** Every column, converted as TypeORM's own insert converts it, so rows read back the same. */
  insertInto<Entity extends ObjectLiteral>(
    target: EntityTarget<Entity>,
  ): (row: Entity, transaction?: EntityManager) => Promise<void> {
    const metadata = this.dataSource.getMetadata(target);
    const { driver } = this.dataSource;
    const columns = plainColumns(metadata);
    const statement = this.prepare(
      (p) =>
        `INSERT INTO ${this.table(target)} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')})` +
        ` VALUES (${columns.map((_, index) => p(index + 1)).join(', ')})`,
    );
    return async (row, transaction) => {
      const values = columns.map((column): unknown =>
        driver.preparePersistentValue(crossRealm(column.getEntityValue(row)), column),
      );
      await (transaction ? statement.runIn(transaction, values) : statement.run(values));
    };
  }

  /** Every column, `select: false` ones too, converted as TypeORM's find converts it. */
  selectWhere<Entity extends ObjectLiteral>(
    target: EntityTarget<Entity>,
    ...properties: Array<keyof Entity & string>
  ): (...values: unknown[]) => Promise<Entity[]> {
    const metadata = this.dataSource.getMetadata(target);
    const { driver } = this.dataSource;
    const conditions = properties.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) {
        throw new Error(`selectWhere(${metadata.name}): no column ${property}`);
      }
      return column;
    });
    const statement = this.prepare(
      (p) =>
        `SELECT ${metadata.columns.map((c) => driver.escape(c.databaseName)).join(', ')}` +
        ` FROM ${this.table(target)}` +
        ` WHERE ${conditions.map((c, index) => `${driver.escape(c.databaseName)} = ${p(index + 1)}`).join(' AND ')}`,
    );
    return async (...values) => {
      const rows = await statement.rows<Record<string, unknown>>(
        values.map((value, index): unknown =>
          driver.preparePersistentValue(crossRealm(value), conditions[index]),
        ),
      );
      return rows.map((row) => {
        const entity = metadata.create() as Entity;
        for (const column of metadata.columns) {
          column.setEntityValue(
            entity,
            driver.prepareHydratedValue(row[column.databaseName], column),
          );
        }
        return entity;
      });
    };
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const statements = [...this.open];
    this.open.clear();
    await Promise.all(statements.map((statement) => statement.close()));
  }
}

function sqliteConnectionOf(dataSource: DataSource): Database | undefined {
  const { driver } = dataSource;
  // TypeORM types the sqlite3 connection as any.
  return driver instanceof SqliteDriver ? (driver.databaseConnection as Database) : undefined;
}

// TypeORM tests a Date with instanceof, which one from another realm (a test's fake clock) fails.
function crossRealm(value: unknown): unknown {
  return types.isDate(value) ? value.toISOString() : value;
}

/** insertInto writes every column itself, so it takes only entities the database fills nothing in. */
function plainColumns(metadata: EntityMetadata): EntityMetadata['columns'] {
  const filled = metadata.columns.filter(
    (column) =>
      column.isGenerated ||
      column.isCreateDate ||
      column.isUpdateDate ||
      column.isVersion ||
      column.isVirtual ||
      column.relationMetadata !== undefined,
  );
  if (filled.length > 0) {
    throw new Error(
      `insertInto(${metadata.name}): ${filled.map((c) => c.propertyName).join(', ')} ` +
        'would need a value from the database or a relation',
    );
  }
  return metadata.columns;
}
