import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { throttlingConfig } from '../config/throttling.config';
import { PreparedStatements } from '../database/prepared-statements';
import { DatabaseThrottleStore } from './database-throttle.store';
import { RedisThrottleStore } from './redis-throttle.store';
import { StoreThrottlerStorage } from './store-throttler-storage';
import { ThrottleClock } from './throttle-clock';
import { ThrottleStore } from './throttle-store';

function redisClient(url: string, keyPrefix: string): Redis {
  // A request waits for Redis at most one retry, then fails closed (503, logged there).
  const client = new Redis(url, { keyPrefix, maxRetriesPerRequest: 1 });
  // Without a listener ioredis prints every failed reconnection; /health/ready reports the outage.
  client.on('error', () => undefined);
  return client;
}

/** The counters' store: Redis when REDIS_URL is set (shared by every instance), else the database. */
@Module({
  providers: [
    ThrottleClock,
    {
      provide: ThrottleStore,
      inject: [throttlingConfig.KEY, PreparedStatements, ThrottleClock],
      useFactory: (
        config: ConfigType<typeof throttlingConfig>,
        statements: PreparedStatements,
        clock: ThrottleClock,
      ): ThrottleStore =>
        config.redisUrl
          ? new RedisThrottleStore(redisClient(config.redisUrl, config.redisKeyPrefix))
          : new DatabaseThrottleStore(statements, clock),
    },
    StoreThrottlerStorage,
  ],
  exports: [ThrottleClock, ThrottleStore, StoreThrottlerStorage],
})
export class ThrottleStoreModule {}
