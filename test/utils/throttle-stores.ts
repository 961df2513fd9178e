import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { PreparedStatements } from '../../src/platform/prepared-statements';
import { DatabaseThrottleStore } from '../../src/throttling/database-throttle.store';
import { RedisThrottleStore } from '../../src/throttling/redis-throttle.store';
import { ThrottleStore } from '../../src/throttling/throttle-store';
import { openMigratedDatabase } from './test-database';

export interface StoreUnderTest {
  store: ThrottleStore;
  close(): Promise<void>;
}

async function databaseStore(type: 'sqlite' | 'postgres'): Promise<StoreUnderTest> {
  const database = await openMigratedDatabase(type);
  const statements = new PreparedStatements(database.dataSource);
  return {
    store: new DatabaseThrottleStore(statements, database.dataSource),
    close: async () => {
      await statements.onModuleDestroy();
      await database.close();
    },
  };
}

function redisStore(url: string): Promise<StoreUnderTest> {
  const keyPrefix = `portcullis-unit-${randomBytes(6).toString('hex')}:`;
  const store = new RedisThrottleStore(new Redis(url, { keyPrefix }));
  return Promise.resolve({
    store,
    close: async () => {
      const cleaner = new Redis(url);
      const keys = await cleaner.keys(`${keyPrefix}*`);
      if (keys.length > 0) {
        await cleaner.del(...keys);
      }
      await cleaner.quit();
      await store.onModuleDestroy();
    },
  });
}

/** Real stores for unit specs: SQLite always, PostgreSQL and Redis when the tests are given them. */
export function storesUnderTest(): Array<[string, () => Promise<StoreUnderTest>]> {
  const stores: Array<[string, () => Promise<StoreUnderTest>]> = [
    ['sqlite', () => databaseStore('sqlite')],
  ];
  if (process.env.TEST_DATABASE_URL) {
    stores.push(['postgres', () => databaseStore('postgres')]);
  }
  const url = process.env.TEST_REDIS_URL;
  if (url) {
    stores.push(['redis', () => redisStore(url)]);
  }
  return stores;
}
