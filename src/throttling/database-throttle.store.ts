import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { ThrottleCounter } from './entities/throttle-counter.entity';
import { ThrottleClock } from './throttle-clock';
import { DelayPolicy } from './throttle-policy';
import { Claim, ThrottleStore, WindowState } from './throttle-store';

const SWEEP_INTERVAL_MS = 10 * 60_000;
const ROW_RACE_RETRIES = 3;

// PostgreSQL cannot infer the type of a bare parameter in arithmetic; SQLite accepts the cast too.
const param = (name: string): string => `CAST(:${name} AS BIGINT)`;

const NEW_COUNT = `(CASE WHEN "expiresAt" <= ${param('now')} THEN 1 ELSE "count" + 1 END)`;
// The SQL twin of delayAfterFailures(): doubling the stored delay avoids a power function, which
// SQLite lacks. `"delayMs" < first` restarts the doubling if the settings changed meanwhile.
const NEW_DELAY =
  `(CASE WHEN ${NEW_COUNT} < ${param('threshold')} THEN 0` +
  ` WHEN ${NEW_COUNT} = ${param('threshold')} OR "delayMs" < ${param('first')} THEN ${param('first')}` +
  ` WHEN "delayMs" * 2 > ${param('max')} THEN ${param('max')}` +
  ` ELSE "delayMs" * 2 END)`;

/**
 * Counters in the `throttle_counters` table. No transactions: TypeORM's SQLite driver shares one
 * connection between all requests, so each decision is a single conditional UPDATE whose affected
 * row count says whether it applied, on SQLite and PostgreSQL alike.
 */
@Injectable()
export class DatabaseThrottleStore extends ThrottleStore implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(
    @InjectRepository(ThrottleCounter) private readonly counters: Repository<ThrottleCounter>,
    private readonly clock: ThrottleClock,
  ) {
    super();
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async claim(key: string, policy: DelayPolicy, now: number): Promise<Claim> {
    // The row can vanish between the insert and the update (a concurrent success resets it, the
    // sweeper drops it): then nothing was blocked, and the claim is simply made again.
    for (let attempt = 0; attempt < ROW_RACE_RETRIES; attempt += 1) {
      await this.ensureRow(key);
      const result = await this.counters
        .createQueryBuilder()
        .update(ThrottleCounter)
        .set({
          count: () => NEW_COUNT,
          delayMs: () => NEW_DELAY,
          // No delay, no block: `now` itself would refuse a concurrent attempt whose clock read
          // came a millisecond earlier (or another instance's slightly slower clock).
          blockedUntil: () =>
            `CASE WHEN ${NEW_DELAY} > 0 THEN ${param('now')} + ${NEW_DELAY} ELSE 0 END`,
          expiresAt: () => `${param('now')} + ${NEW_DELAY} + ${param('memory')}`,
        })
        .where(`"key" = :key AND "blockedUntil" <= ${param('now')}`)
        .setParameters({
          key,
          now,
          threshold: policy.failuresBeforeDelay,
          first: Math.min(policy.firstDelayMs, policy.maxDelayMs),
          max: policy.maxDelayMs,
          memory: policy.memoryMs,
        })
        .execute();
      if (result.affected === 1) {
        return { allowed: true };
      }
      const retryAfterMs = await this.blockedFor(key, now);
      if (retryAfterMs > 0) {
        return { allowed: false, retryAfterMs };
      }
    }
    // Fail closed if the row keeps vanishing: a short wait, never an unchecked attempt.
    return { allowed: false, retryAfterMs: 1000 };
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const row = await this.counters.findOneBy({ key });
    return row ? Math.max(0, row.blockedUntil - now) : 0;
  }

  /**
   * Zeroes rather than deletes: a deleted row would make a concurrent claim's UPDATE miss and
   * retry; the sweeper drops the row once it has expired.
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
    await this.ensureRow(key);
    const counted = await this.counters
      .createQueryBuilder()
      .update(ThrottleCounter)
      .set({
        count: () => NEW_COUNT,
        expiresAt: () =>
          `CASE WHEN "expiresAt" <= ${param('now')} THEN ${param('now')} + ${param('window')} ELSE "expiresAt" END`,
      })
      .where(
        `"key" = :key AND "blockedUntil" <= ${param('now')}` +
          ` AND ("expiresAt" <= ${param('now')} OR "count" < ${param('limit')})`,
      )
      .setParameters({ key, now, window: windowMs, limit })
      .execute();
    if (counted.affected !== 1) {
      // Over the limit: only the first refused request starts the block, later ones wait it out.
      await this.counters
        .createQueryBuilder()
        .update(ThrottleCounter)
        .set({
          count: () => '"count" + 1',
          blockedUntil: () => `${param('now')} + ${param('block')}`,
        })
        .where(`"key" = :key AND "blockedUntil" <= ${param('now')}`)
        .setParameters({ key, now, block: blockMs })
        .execute();
    }
    const row = await this.counters.findOneBy({ key });
    if (!row) {
      // Swept between the statements: the window had expired, so this request starts a new one.
      return { allowed: true, hits: 1, windowEndsAt: now + windowMs, blockedUntil: 0 };
    }
    return {
      allowed: counted.affected === 1,
      hits: row.count,
      windowEndsAt: row.expiresAt,
      blockedUntil: row.blockedUntil,
    };
  }

  private async ensureRow(key: string): Promise<void> {
    await this.counters
      .createQueryBuilder()
      .insert()
      .into(ThrottleCounter)
      .values({ key, count: 0, delayMs: 0, blockedUntil: 0, expiresAt: 0 })
      .orIgnore()
      .execute();
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
