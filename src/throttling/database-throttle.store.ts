import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  Placeholder,
  PreparedStatement,
  PreparedStatements,
} from '../platform/prepared-statements';
import { ThrottleCounter } from './entities/throttle-counter.entity';
import { ThrottleClock } from './throttle-clock';
import { DelayPolicy } from './throttle-policy';
import { Claim, ThrottleStore, WindowState } from './throttle-store';

const SWEEP_INTERVAL_MS = 10 * 60_000;

type CounterRow = Pick<ThrottleCounter, 'count' | 'blockedUntil' | 'expiresAt'>;

/** A column of the stored row; qualified, as PostgreSQL requires inside ON CONFLICT DO UPDATE. */
type Column = (name: keyof ThrottleCounter) => string;

/** Decision and answer in one statement, so no other request's statement can come between them. */
const upsertSql = (table: string, valuesAndConflict: string): string =>
  `INSERT INTO ${table} ("key", "count", "delayMs", "blockedUntil", "expiresAt")` +
  ` ${valuesAndConflict} RETURNING "count", "blockedUntil", "expiresAt"`;

// PostgreSQL cannot infer the type of a bare parameter in arithmetic; SQLite accepts the cast too.
const bigint = (p: Placeholder, position: number): string => `CAST(${p(position)} AS BIGINT)`;

function claimSql(table: string, column: Column, p: Placeholder): string {
  const [now, threshold, first, max, memory] = [2, 3, 4, 5, 6].map((n) => bigint(p, n));
  const [firstDelay, firstBlockedUntil, firstExpiresAt] = [7, 8, 9].map((n) => bigint(p, n));
  const newCount = `(CASE WHEN ${column('expiresAt')} <= ${now} THEN 1 ELSE ${column('count')} + 1 END)`;
  // The SQL twin of delayAfterFailures(): doubling avoids a power function, which SQLite lacks.
  // `"delayMs" < first` restarts the doubling if the settings changed.
  const delay =
    `(CASE WHEN ${newCount} < ${threshold} THEN 0` +
    ` WHEN ${newCount} = ${threshold} OR ${column('delayMs')} < ${first} THEN ${first}` +
    ` WHEN ${column('delayMs')} * 2 > ${max} THEN ${max}` +
    ` ELSE ${column('delayMs')} * 2 END)`;
  return upsertSql(
    table,
    `VALUES (${p(1)}, 1, ${firstDelay}, ${firstBlockedUntil}, ${firstExpiresAt})` +
      ` ON CONFLICT ("key") DO UPDATE SET "count" = ${newCount}, "delayMs" = ${delay},` +
      // No delay, no block: `now` would refuse a concurrent attempt whose clock read a ms earlier.
      ` "blockedUntil" = CASE WHEN ${delay} > 0 THEN ${now} + ${delay} ELSE 0 END,` +
      ` "expiresAt" = ${now} + ${delay} + ${memory}` +
      ` WHERE ${column('blockedUntil')} <= ${now}`,
  );
}

function hitSql(table: string, column: Column, p: Placeholder): string {
  const [now, window, limit, block] = [2, 3, 4, 5].map((n) => bigint(p, n));
  const open = `${column('blockedUntil')} <= ${now}`;
  const expired = `${column('expiresAt')} <= ${now}`;
  // Every SET expression reads the row as it was before the update.
  return upsertSql(
    table,
    `VALUES (${p(1)}, 1, 0, 0, ${now} + ${window})` +
      ` ON CONFLICT ("key") DO UPDATE SET` +
      ` "count" = CASE WHEN NOT (${open}) THEN ${column('count')}` +
      ` WHEN ${expired} THEN 1 ELSE ${column('count')} + 1 END,` +
      ` "expiresAt" = CASE WHEN ${open} AND ${expired} THEN ${now} + ${window}` +
      ` ELSE ${column('expiresAt')} END,` +
      ` "blockedUntil" = CASE WHEN ${open} AND NOT (${expired})` +
      ` AND ${column('count')} >= ${limit} THEN ${now} + ${block}` +
      ` ELSE ${column('blockedUntil')} END`,
  );
}

// No transactions: TypeORM's SQLite driver shares one connection (see exclusively.ts).
@Injectable()
export class DatabaseThrottleStore extends ThrottleStore implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;
  private readonly claimStatement: PreparedStatement;
  private readonly hitStatement: PreparedStatement;
  private readonly blockedForStatement: PreparedStatement;
  private readonly sweepStatement: PreparedStatement;
  private readonly resetStatement: PreparedStatement;

  constructor(
    statements: PreparedStatements,
    private readonly clock: ThrottleClock,
  ) {
    super();
    const table = statements.table(ThrottleCounter);
    const column: Column = (name) => `${table}."${name}"`;
    this.claimStatement = statements.prepare((p) => claimSql(table, column, p));
    this.hitStatement = statements.prepare((p) => hitSql(table, column, p));
    this.blockedForStatement = statements.prepare(
      (p) => `SELECT "blockedUntil" FROM ${table} WHERE "key" = ${p(1)}`,
    );
    this.resetStatement = statements.prepare(
      (p) =>
        `UPDATE ${table} SET "count" = 0, "delayMs" = 0, "blockedUntil" = 0 WHERE "key" = ${p(1)}`,
    );
    this.sweepStatement = statements.prepare(
      (p) =>
        `DELETE FROM ${table} WHERE "expiresAt" <= ${bigint(p, 1)} AND "blockedUntil" <= ${bigint(p, 1)}`,
    );
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async claim(key: string, policy: DelayPolicy, now: number): Promise<Claim> {
    // A first failure inserts the row that the UPDATE would make of a zeroed one.
    const first = Math.min(policy.firstDelayMs, policy.maxDelayMs);
    const firstDelay = 1 < policy.failuresBeforeDelay ? 0 : first;
    const counted = await this.upsert(this.claimStatement, [
      key,
      now,
      policy.failuresBeforeDelay,
      first,
      policy.maxDelayMs,
      policy.memoryMs,
      firstDelay,
      firstDelay > 0 ? now + firstDelay : 0,
      now + firstDelay + policy.memoryMs,
    ]);
    if (counted) {
      return { allowed: true };
    }
    // Only a delayed key leaves the row untouched; a delay ending meanwhile gets a short wait.
    return { allowed: false, retryAfterMs: Math.max(1, await this.blockedFor(key, now)) };
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const [row] = await this.blockedForStatement.rows<{ blockedUntil: string | number }>([key]);
    return row ? Math.max(0, Number(row.blockedUntil) - now) : 0;
  }

  // Zeroes, so the next attempt updates the row rather than inserting it. One statement per key:
  // resets locking the same pair and account in opposite orders deadlocked on PostgreSQL.
  async reset(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.resetStatement.run([key])));
  }

  async hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState> {
    const row = await this.upsert(this.hitStatement, [key, now, windowMs, limit, blockMs]);
    if (!row) {
      throw new Error('the throttle counter upsert returned no row');
    }
    return {
      allowed: row.count <= limit && row.blockedUntil <= now,
      hits: row.count,
      windowEndsAt: row.expiresAt,
      blockedUntil: row.blockedUntil,
    };
  }

  /** The row as written, or undefined when the update's WHERE held it back. */
  private async upsert(
    statement: PreparedStatement,
    params: Array<string | number>,
  ): Promise<CounterRow | undefined> {
    const [row] = await statement.rows<Record<keyof CounterRow, string | number>>(params);
    if (!row) {
      return undefined;
    }
    // node-postgres returns BIGINT as a string; epoch milliseconds fit a double exactly.
    return {
      count: Number(row.count),
      blockedUntil: Number(row.blockedUntil),
      expiresAt: Number(row.expiresAt),
    };
  }

  private async sweep(): Promise<void> {
    await this.sweepStatement.run([this.clock.now()]);
  }
}
