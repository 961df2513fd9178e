import { Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import type Redis from 'ioredis';
import type { EntityManager } from 'typeorm';
import { closeRedis } from '../common/redis-client';
import { PreparedStatement, PreparedStatements } from '../platform/prepared-statements';
import { RAISE_REVOCATION_EPOCH } from '../auth/revocation-epoch';
import { AccessTokenDenylist, denylistEntryEnd } from './access-token-denylist';

const logger = new Logger('AccessTokenDenylist');

const entryKey = (jti: string): string => `denylist:${jti}`;

const EPOCH_RETRY_MS = 1000;

export class RedisAccessTokenDenylist extends AccessTokenDenylist implements OnModuleDestroy {
  private readonly bumpEpoch: PreparedStatement;
  private unraisedRevocations = 0;
  private epochRetry?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    statements: PreparedStatements,
  ) {
    super();
    this.bumpEpoch = statements.prepare(() => RAISE_REVOCATION_EPOCH);
  }

  async revoke(jti: string, expiresAt: Date, transaction?: EntityManager): Promise<void> {
    const lifetimeMs = denylistEntryEnd(expiresAt).getTime() - Date.now();
    if (lifetimeMs > 0) {
      await this.reach(this.redis.set(entryKey(jti), '1', 'PX', lifetimeMs));
    }
    try {
      // Within a transaction, through it: its connection holds the database's write lock.
      await (transaction ? transaction.query(RAISE_REVOCATION_EPOCH) : this.bumpEpoch.run());
    } catch (error) {
      // Instances that remember this jti as not revoked look again only once the epoch moves: it
      // must move as soon as the database is back, even if the caller, told 503, never retries.
      this.retryEpochRaise();
      throw error;
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.reach(this.redis.exists(entryKey(jti)))) === 1;
  }

  /** Redis expires each entry itself. */
  purgeExpired(): Promise<number> {
    return Promise.resolve(0);
  }

  onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearTimeout(this.epochRetry);
    return closeRedis(this.redis);
  }

  private retryEpochRaise(): void {
    this.unraisedRevocations += 1;
    if (this.unraisedRevocations === 1) {
      logger.warn('The revocation epoch could not be raised; retrying until the database answers');
      this.scheduleEpochRetry();
    }
  }

  private scheduleEpochRetry(): void {
    this.epochRetry = setTimeout(() => void this.raiseEpochAgain(), EPOCH_RETRY_MS);
    this.epochRetry.unref();
  }

  private async raiseEpochAgain(): Promise<void> {
    // A revocation failing while this raise runs may have written its entry after the raise's
    // UPDATE: only the revocations counted before it began are settled by its success.
    const settled = this.unraisedRevocations;
    const raised = await this.bumpEpoch.run().then(
      () => true,
      () => false,
    );
    if (raised) {
      this.unraisedRevocations -= settled;
    }
    if (this.unraisedRevocations === 0) {
      logger.log('The revocation epoch was raised after the database came back');
    } else if (!this.closing) {
      this.scheduleEpochRetry();
    }
  }

  /** Fail closed: without the denylist nothing is reported revoked, and no token is accepted. */
  private async reach<T>(command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch (error) {
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw new ServiceUnavailableException(
        'Token revocation state is temporarily unavailable; try again later',
      );
    }
  }
}
