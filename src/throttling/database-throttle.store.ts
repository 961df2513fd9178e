import { DataSource } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import {
  Placeholder,
  PreparedStatement,
  PreparedStatements,
} from '../platform/prepared-statements';
import { ThrottleCounter } from './entities/throttle-counter.entity';
import { DelayPolicy } from './throttle-policy';
import { Reservation, ThrottleStore, WindowState } from './throttle-store';

type CounterRow = Pick<ThrottleCounter, 'count' | 'blockedUntil' | 'expiresAt'>;

/** A column of the stored row; qualified, as PostgreSQL requires inside ON CONFLICT DO UPDATE. */
type Column = (name: keyof ThrottleCounter) => string;

const COLUMNS =
  '"key", "count", "delayMs", "blockedUntil", "expiresAt", "inFlight", "inFlightUntil", "inFlightGeneration"';

/** Decision and answer in one statement, so no other request's statement can come between them. */
const upsertSql = (table: string, valuesAndConflict: string, returning = ''): string =>
  `INSERT INTO ${table} (${COLUMNS}) ${valuesAndConflict}${returning && ` RETURNING ${returning}`}`;

// PostgreSQL cannot infer the type of a bare parameter in arithmetic; SQLite accepts the cast too.
const bigint = (p: Placeholder, position: number): string => `CAST(${p(position)} AS BIGINT)`;

const larger = (a: string, b: string): string => `(CASE WHEN ${a} > ${b} THEN ${a} ELSE ${b} END)`;

/** The attempt gives its place back, unless the place was dropped with a lost lease meanwhile. */
const giveBack = (column: Column, generation: string): string =>
  `CASE WHEN ${column('inFlightGeneration')} = ${generation} AND ${column('inFlight')} > 0` +
  ` THEN ${column('inFlight')} - 1 ELSE ${column('inFlight')} END`;

function reserveSql(table: string, column: Column, p: Placeholder): string {
  const [now, threshold, lease] = [2, 3, 4].map((n) => bigint(p, n));
  const leaseEnd = `${now} + ${lease}`;
  const count = `(CASE WHEN ${column('expiresAt')} <= ${now} THEN 0 ELSE ${column('count')} END)`;
  // The latest lease is over, so every attempt still counted in flight is presumed lost.
  const lost = `${column('inFlightUntil')} <= ${now}`;
  const inFlight = `(CASE WHEN ${lost} THEN 0 ELSE ${column('inFlight')} END)`;
  const room = `(CASE WHEN ${count} < ${threshold} THEN ${threshold} - ${count} ELSE 1 END)`;
  return upsertSql(
    table,
    // A fresh row's generation is the clock, so a row swept and made again never repeats one.
    `VALUES (${p(1)}, 0, 0, 0, ${leaseEnd}, 1, ${leaseEnd}, ${now})` +
      ` ON CONFLICT ("key") DO UPDATE SET "count" = ${count},` +
      ` "expiresAt" = ${larger(column('expiresAt'), leaseEnd)},` +
      ` "inFlight" = ${inFlight} + 1,` +
      ` "inFlightUntil" = ${larger(column('inFlightUntil'), leaseEnd)},` +
      ` "inFlightGeneration" = CASE WHEN ${lost} AND ${column('inFlight')} > 0` +
      ` THEN ${column('inFlightGeneration')} + 1 ELSE ${column('inFlightGeneration')} END` +
      ` WHERE ${column('blockedUntil')} <= ${now} AND ${inFlight} < ${room}`,
    '"inFlightGeneration"',
  );
}

function failureSql(table: string, column: Column, p: Placeholder): string {
  const [now, threshold, first, max, memory, generation] = [2, 3, 4, 5, 6, 7].map((n) =>
    bigint(p, n),
  );
  const [firstDelay, firstBlockedUntil, firstExpiresAt] = [8, 9, 10].map((n) => bigint(p, n));
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
    `VALUES (${p(1)}, 1, ${firstDelay}, ${firstBlockedUntil}, ${firstExpiresAt}, 0, 0, ${now})` +
      ` ON CONFLICT ("key") DO UPDATE SET "count" = ${newCount}, "delayMs" = ${delay},` +
      // No delay, no block: `now` would refuse a concurrent attempt whose clock read a ms earlier.
      ` "blockedUntil" = CASE WHEN ${delay} > 0 THEN ${now} + ${delay} ELSE 0 END,` +
      ` "expiresAt" = ${now} + ${delay} + ${memory},` +
      ` "inFlight" = ${giveBack(column, generation)}`,
  );
}

function hitSql(table: string, column: Column, p: Placeholder): string {
  const [now, window, limit, block] = [2, 3, 4, 5].map((n) => bigint(p, n));
  const open = `${column('blockedUntil')} <= ${now}`;
  const expired = `${column('expiresAt')} <= ${now}`;
  // Every SET expression reads the row as it was before the update.
  return upsertSql(
    table,
    `VALUES (${p(1)}, 1, 0, 0, ${now} + ${window}, 0, 0, 0)` +
      ` ON CONFLICT ("key") DO UPDATE SET` +
      ` "count" = CASE WHEN NOT (${open}) THEN ${column('count')}` +
      ` WHEN ${expired} THEN 1 ELSE ${column('count')} + 1 END,` +
      ` "expiresAt" = CASE WHEN ${open} AND ${expired} THEN ${now} + ${window}` +
      ` ELSE ${column('expiresAt')} END,` +
      ` "blockedUntil" = CASE WHEN ${open} AND NOT (${expired})` +
      ` AND ${column('count')} >= ${limit} THEN ${now} + ${block}` +
      ` ELSE ${column('blockedUntil')} END`,
    '"count", "blockedUntil", "expiresAt"',
  );
}

// No transactions: TypeORM's SQLite driver shares one connection (see exclusively.ts). Each
// statement touches one row, so statements of one login on two keys cannot deadlock.
export class DatabaseThrottleStore extends ThrottleStore {
  private readonly reserveStatement: PreparedStatement;
  private readonly failureStatement: PreparedStatement;
  private readonly successStatement: PreparedStatement;
  private readonly releaseStatement: PreparedStatement;
  private readonly hitStatement: PreparedStatement;
  private readonly blockedForStatement: PreparedStatement;

  constructor(
    statements: PreparedStatements,
    private readonly dataSource: DataSource,
  ) {
    super();
    const table = statements.table(ThrottleCounter);
    const column: Column = (name) => `${table}."${name}"`;
    const unqualified: Column = (name) => `"${name}"`;
    this.reserveStatement = statements.prepare((p) => reserveSql(table, column, p));
    this.failureStatement = statements.prepare((p) => failureSql(table, column, p));
    this.successStatement = statements.prepare(
      (p) =>
        `UPDATE ${table} SET "count" = 0, "delayMs" = 0, "blockedUntil" = 0,` +
        ` "inFlight" = ${giveBack(unqualified, bigint(p, 2))} WHERE "key" = ${p(1)}`,
    );
    this.releaseStatement = statements.prepare(
      (p) =>
        `UPDATE ${table} SET "inFlight" = ${giveBack(unqualified, bigint(p, 2))}` +
        ` WHERE "key" = ${p(1)}`,
    );
    this.hitStatement = statements.prepare((p) => hitSql(table, column, p));
    this.blockedForStatement = statements.prepare(
      (p) => `SELECT "blockedUntil" FROM ${table} WHERE "key" = ${p(1)}`,
    );
  }

  async reserve(key: string, policy: DelayPolicy, now: number): Promise<Reservation> {
    const [row] = await this.reserveStatement.rows<{ inFlightGeneration: string | number }>([
      key,
      now,
      policy.failuresBeforeDelay,
      policy.leaseMs,
    ]);
    if (row) {
      return { outcome: 'reserved', generation: Number(row.inFlightGeneration) };
    }
    // Read after the refusal: a delay that ended meanwhile makes this a busy key, asked again.
    const retryAfterMs = await this.blockedFor(key, now);
    return retryAfterMs > 0 ? { outcome: 'delayed', retryAfterMs } : { outcome: 'busy' };
  }

  async recordFailure(
    key: string,
    policy: DelayPolicy,
    generation: number,
    now: number,
  ): Promise<void> {
    // A row swept meanwhile is made again as the UPDATE would make it of a zeroed one.
    const first = Math.min(policy.firstDelayMs, policy.maxDelayMs);
    const firstDelay = 1 < policy.failuresBeforeDelay ? 0 : first;
    await this.failureStatement.run([
      key,
      now,
      policy.failuresBeforeDelay,
      first,
      policy.maxDelayMs,
      policy.memoryMs,
      generation,
      firstDelay,
      firstDelay > 0 ? now + firstDelay : 0,
      now + firstDelay + policy.memoryMs,
    ]);
  }

  async recordSuccess(key: string, generation: number): Promise<void> {
    await this.successStatement.run([key, generation]);
  }

  async release(key: string, generation: number): Promise<void> {
    await this.releaseStatement.run([key, generation]);
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const [row] = await this.blockedForStatement.rows<{ blockedUntil: string | number }>([key]);
    return row ? Math.max(0, Number(row.blockedUntil) - now) : 0;
  }

  async hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState> {
    const [row] = await this.hitStatement.rows<Record<keyof CounterRow, string | number>>([
      key,
      now,
      windowMs,
      limit,
      blockMs,
    ]);
    if (!row) {
      throw new Error('the throttle counter upsert returned no row');
    }
    // node-postgres returns BIGINT as a string; epoch milliseconds fit a double exactly.
    const blockedUntil = Number(row.blockedUntil);
    return {
      allowed: Number(row.count) <= limit && blockedUntil <= now,
      hits: Number(row.count),
      windowEndsAt: Number(row.expiresAt),
      blockedUntil,
    };
  }

  /** Counters nothing depends on any more: forgotten, not blocking, no attempt in flight. */
  purgeExpired(now: number): Promise<number> {
    return deleteInBatches(
      this.dataSource,
      ThrottleCounter,
      '"expiresAt" <= :now AND "blockedUntil" <= :now AND "inFlightUntil" <= :now',
      { now },
    );
  }
}
