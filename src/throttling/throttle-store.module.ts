import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { connectRedisStore } from '../common/redis-client';
import { throttlingConfig } from '../config/throttling.config';
import { PreparedStatements } from '../platform/prepared-statements';
import { DatabaseThrottleStore } from './database-throttle.store';
import { RedisThrottleStore } from './redis-throttle.store';
import { StoreThrottlerStorage } from './store-throttler-storage';
import { ThrottleClock } from './throttle-clock';
import { ThrottleStore } from './throttle-store';

@Module({
  providers: [
    ThrottleClock,
    {
      provide: ThrottleStore,
      inject: [throttlingConfig.KEY, PreparedStatements, getDataSourceToken()],
      useFactory: async (
        config: ConfigType<typeof throttlingConfig>,
        statements: PreparedStatements,
        dataSource: DataSource,
      ): Promise<ThrottleStore> =>
        config.redisUrl
          ? new RedisThrottleStore(await connectRedisStore(config.redisUrl, config.redisKeyPrefix))
          : new DatabaseThrottleStore(statements, dataSource),
    },
    StoreThrottlerStorage,
  ],
  exports: [ThrottleClock, ThrottleStore, StoreThrottlerStorage],
})
export class ThrottleStoreModule {}
