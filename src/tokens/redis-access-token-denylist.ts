import { Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import type Redis from 'ioredis';
import { closeRedis } from '../common/redis-client';
import { PreparedStatement, PreparedStatements } from '../database/prepared-statements';
import { AccessTokenDenylist, denylistEntryEnd } from './access-token-denylist';

const logger = new Logger('AccessTokenDenylist');

const entryKey = (jti: string): string => `denylist:${jti}`;

/**
 * The denylist in Redis (REDIS_URL), shared by every instance; keys carry REDIS_KEY_PREFIX and
 * expire on their own once the token could no longer verify.
 *
 * Each instance answers "is this jti revoked?" from memory for as long as the database's
 * revocation epoch stands still (PrincipalStateService), so a revocation also moves the epoch,
 * after the entry is written: an instance that sees the new epoch asks Redis again and finds it.
 */
export class RedisAccessTokenDenylist extends AccessTokenDenylist implements OnModuleDestroy {
  private readonly bumpEpoch: PreparedStatement;

  constructor(
    private readonly redis: Redis,
    statements: PreparedStatements,
  ) {
    super();
    // The same statement as the database triggers of the RevocationEpoch migration.
    this.bumpEpoch = statements.prepare(
      () => 'UPDATE "revocation_epoch" SET "value" = "value" + 1 WHERE "id" = 1',
    );
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    const lifetimeMs = denylistEntryEnd(expiresAt).getTime() - Date.now();
    if (lifetimeMs > 0) {
      await this.reach(this.redis.set(entryKey(jti), '1', 'PX', lifetimeMs));
    }
    await this.bumpEpoch.run();
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.reach(this.redis.exists(entryKey(jti)))) === 1;
  }

  onModuleDestroy(): Promise<void> {
    return closeRedis(this.redis);
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
