import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { ThrottleCounter } from './entities/throttle-counter.entity';
import { ThrottleClock } from './throttle-clock';
import { DelayPolicy } from './throttle-policy';
import { Claim, ThrottleStore, WindowState } from './throttle-store';

const SWEEP_INTERVAL_MS = 10 * 60_000;

// PostgreSQL cannot infer the type of a bare parameter in arithmetic; SQLite accepts the cast too.
const param = (name: string): string => `CAST(:${name} AS BIGINT)`;

/** A column of the stored row; qualified, as PostgreSQL requires inside ON CONFLICT DO UPDATE. */
type Column = (name: keyof ThrottleCounter) => string;

const newCount = (column: Column): string =>
  `(CASE WHEN ${column('expiresAt')} <= ${param('now')} THEN 1 ELSE ${column('count')} + 1 END)`;
// The SQL twin of delayAfterFailures(): doubling the stored delay avoids a power function, which
// SQLite lacks. `"delayMs" < first` restarts the doubling if the settings changed meanwhile.
const newDelay = (column: Column): string =>
  `(CASE WHEN ${newCount(column)} < ${param('threshold')} THEN 0` +
  ` WHEN ${newCount(column)} = ${param('threshold')} OR ${column('delayMs')} < ${param('first')} THEN ${param('first')}` +
  ` WHEN ${column('delayMs')} * 2 > ${param('max')} THEN ${param('max')}` +
  ` ELSE ${column('delayMs')} * 2 END)`;

type CounterRow = Pick<ThrottleCounter, 'count' | 'blockedUntil' | 'expiresAt'>;

/**
 * Counters in the `throttle_counters` table. No transactions: TypeORM's SQLite driver shares one
 * connection between all requests, so each decision is a single upsert that returns the row it
 * wrote, on SQLite and PostgreSQL alike.
 */
@Injectable()
export class DatabaseThrottleStore extends ThrottleStore implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;
  /** The table as raw SQL names it, schema included on PostgreSQL. */
  private readonly table: string;
  private readonly column: Column = (name) => `${this.table}."${name}"`;

  constructor(
    @InjectRepository(ThrottleCounter) private readonly counters: Repository<ThrottleCounter>,
    private readonly clock: ThrottleClock,
  ) {
    super();
    const { driver } = counters.manager.connection;
    this.table = counters.metadata.tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.');
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async claim(key: string, policy: DelayPolicy, now: number): Promise<Claim> {
    // A first failure inserts the row that the UPDATE below would make of a zeroed one.
    const first = Math.min(policy.firstDelayMs, policy.maxDelayMs);
    const firstDelay = 1 < policy.failuresBeforeDelay ? 0 : first;
    const delay = newDelay(this.column);
    const counted = await this.upsert(
      `VALUES (:key, 1, ${param('firstDelay')}, ${param('firstBlockedUntil')}, ${param('firstExpiresAt')})` +
        ` ON CONFLICT ("key") DO UPDATE SET` +
        ` "count" = ${newCount(this.column)}, "delayMs" = ${delay},` +
        // No delay, no block: `now` itself would refuse a concurrent attempt whose clock read
        // came a millisecond earlier (or another instance's slightly slower clock).
        ` "blockedUntil" = CASE WHEN ${delay} > 0 THEN ${param('now')} + ${delay} ELSE 0 END,` +
        ` "expiresAt" = ${param('now')} + ${delay} + ${param('memory')}` +
        ` WHERE ${this.column('blockedUntil')} <= ${param('now')}`,
      {
        key,
        now,
        threshold: policy.failuresBeforeDelay,
        first,
        max: policy.maxDelayMs,
        memory: policy.memoryMs,
        firstDelay,
        firstBlockedUntil: firstDelay > 0 ? now + firstDelay : 0,
        firstExpiresAt: now + firstDelay + policy.memoryMs,
      },
    );
    if (counted) {
      return { allowed: true };
    }
    // Only a delayed key leaves the row untouched. Should the delay end between the two
    // statements, the answer is still a short wait, never an uncounted attempt.
    return { allowed: false, retryAfterMs: Math.max(1, await this.blockedFor(key, now)) };
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const row = await this.counters.findOneBy({ key });
    return row ? Math.max(0, row.blockedUntil - now) : 0;
  }

  /**
   * Zeroes rather than deletes: the same user's next attempt updates the row instead of inserting
   * it, and the sweeper drops it once it has expired.
   */
  async reset(keys: string[]): Promise<void> {
    if (keys.length > 0) {
      await this.counters.update({ key: In(keys) }, { count: 0, delayMs: 0, blockedUntil: 0 });
    }
  }

  async hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState> {
    const { column } = this;
    const open = `${column('blockedUntil')} <= ${param('now')}`;
    const expired = `${column('expiresAt')} <= ${param('now')}`;
    // Every SET expression reads the row as it was: a blocked key is left alone; an expired
    // window restarts at 1; the request over the limit is counted and starts the block.
    const row = await this.upsert(
      `VALUES (:key, 1, 0, 0, ${param('now')} + ${param('window')})` +
        ` ON CONFLICT ("key") DO UPDATE SET` +
        ` "count" = CASE WHEN NOT (${open}) THEN ${column('count')}` +
        ` WHEN ${expired} THEN 1 ELSE ${column('count')} + 1 END,` +
        ` "expiresAt" = CASE WHEN ${open} AND ${expired} THEN ${param('now')} + ${param('window')}` +
        ` ELSE ${column('expiresAt')} END,` +
        ` "blockedUntil" = CASE WHEN ${open} AND NOT (${expired})` +
        ` AND ${column('count')} >= ${param('limit')} THEN ${param('now')} + ${param('block')}` +
        ` ELSE ${column('blockedUntil')} END`,
      { key, now, window: windowMs, limit, block: blockMs },
    );
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

  /**
   * One `INSERT … ON CONFLICT DO UPDATE … RETURNING` on the key: the decision and its answer in a
   * single statement, so no other request's statement can come between them. Resolves to the
   * row as written, or undefined when the update's WHERE held it back.
   */
  private async upsert(
    valuesAndConflict: string,
    parameters: Record<string, string | number>,
  ): Promise<CounterRow | undefined> {
    const driver = this.counters.manager.connection.driver;
    const [sql, values] = driver.escapeQueryWithParameters(
      // TypeORM's SQLite runner sends statements that start with "INSERT " to sqlite3's run(),
      // which drops RETURNING rows; the leading comment routes this one through all().
      `/* throttle */ INSERT INTO ${this.table} ("key", "count", "delayMs", "blockedUntil", "expiresAt")` +
        ` ${valuesAndConflict} RETURNING "count", "blockedUntil", "expiresAt"`,
      parameters,
      {},
    );
    const rows: unknown = await this.counters.manager.query(sql, values);
    if (!Array.isArray(rows) || rows.length === 0) {
      return undefined;
    }
    const row = rows[0] as Record<keyof CounterRow, string | number>;
    // node-postgres returns BIGINT as a string; epoch milliseconds fit a double exactly.
    return {
      count: Number(row.count),
      blockedUntil: Number(row.blockedUntil),
      expiresAt: Number(row.expiresAt),
    };
  }

  /** Expired counters mean nothing any more; without this the table would keep every key ever tried. */
  private async sweep(): Promise<void> {
    const now = this.clock.now();
    await this.counters
      .createQueryBuilder()
      .delete()
      .from(ThrottleCounter)
      .where(`"expiresAt" <= ${param('now')} AND "blockedUntil" <= ${param('now')}`, { now })
      .execute();
  }
}
