import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { openMigratedDatabase } from '../../test/utils/test-database';
import { PreparedStatements } from '../platform/prepared-statements';
import { DatabaseThrottleStore } from './database-throttle.store';
import { RedisThrottleStore } from './redis-throttle.store';
import { ThrottleClock } from './throttle-clock';
import { delayAfterFailures, DelayPolicy } from './throttle-policy';
import { ThrottleStore } from './throttle-store';

interface StoreUnderTest {
  store: ThrottleStore;
  close(): Promise<void>;
}

async function databaseStore(type: 'sqlite' | 'postgres'): Promise<StoreUnderTest> {
  const database = await openMigratedDatabase(type);
  const statements = new PreparedStatements(database.dataSource);
  return {
    store: new DatabaseThrottleStore(statements, new ThrottleClock()),
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

const stores: Array<[string, () => Promise<StoreUnderTest>]> = [
  ['sqlite', () => databaseStore('sqlite')],
];
if (process.env.TEST_DATABASE_URL) {
  stores.push(['postgres', () => databaseStore('postgres')]);
}
if (process.env.TEST_REDIS_URL) {
  const url = process.env.TEST_REDIS_URL;
  stores.push(['redis', () => redisStore(url)]);
}

const policy: DelayPolicy = {
  failuresBeforeDelay: 3,
  firstDelayMs: 1000,
  maxDelayMs: 5000,
  memoryMs: 60_000,
};
const T0 = 1_732_233_900_000;

describe.each(stores)('ThrottleStore on %s', (_name, open) => {
  let subject: StoreUnderTest;
  let store: ThrottleStore;
  let counter = 0;
  const freshKey = (): string => `test:${(counter += 1)}`;

  beforeAll(async () => {
    subject = await open();
    store = subject.store;
  });

  afterAll(async () => {
    await subject.close();
  });

  it('allows the free failures, then refuses for the first delay', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(store.claim(key, policy, T0)).resolves.toEqual({ allowed: true });
    }
    await expect(store.claim(key, policy, T0 + 10)).resolves.toEqual({
      allowed: false,
      retryAfterMs: 990,
    });
    await expect(store.blockedFor(key, T0 + 10)).resolves.toBe(990);
  });

  it('doubles the delay with each failure after it, up to the maximum, as delayAfterFailures says', async () => {
    const key = freshKey();
    let now = T0;
    for (let failures = 1; failures <= 8; failures++) {
      await expect(store.claim(key, policy, now)).resolves.toEqual({ allowed: true });
      const delay = delayAfterFailures(failures, policy);
      await expect(store.blockedFor(key, now)).resolves.toBe(delay);
      if (delay > 0) {
        await expect(store.claim(key, policy, now + delay - 1)).resolves.toEqual({
          allowed: false,
          retryAfterMs: 1,
        });
      }
      now += delay;
    }
    expect(delayAfterFailures(8, policy)).toBe(5000);
  });

  it('does not count refused attempts, so hammering a delayed key does not lengthen it', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await store.claim(key, policy, T0);
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      await store.claim(key, policy, T0 + 500);
    }
    await expect(store.claim(key, policy, T0 + 1000)).resolves.toEqual({ allowed: true });
    await expect(store.blockedFor(key, T0 + 1000)).resolves.toBe(2000);
  });

  it('starts from zero after a reset', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await store.claim(key, policy, T0);
    }
    await store.reset([key, freshKey()]);
    await expect(store.blockedFor(key, T0)).resolves.toBe(0);
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(store.claim(key, policy, T0)).resolves.toEqual({ allowed: true });
    }
  });

  it('forgets failures once the memory has passed after the last delay', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await store.claim(key, policy, T0);
    }
    const later = T0 + 1000 + policy.memoryMs;
    await expect(store.claim(key, policy, later)).resolves.toEqual({ allowed: true });
    await expect(store.blockedFor(key, later)).resolves.toBe(0);
  });

  it('never refuses a fresh key because a reset raced the claim (two logins at once)', async () => {
    for (let round = 0; round < 20; round += 1) {
      const key = freshKey();
      const [first, , second] = await Promise.all([
        store.claim(key, policy, T0),
        store.reset([key]),
        store.claim(key, policy, T0),
      ]);
      expect({ round, first: first.allowed, second: second.allowed }).toEqual({
        round,
        first: true,
        second: true,
      });
    }
  });

  it('survives many logins of one user at once: resets and claims of the same two keys', async () => {
    // Each login claims its pair and account keys one at a time and resets both on success.
    // Locking both rows in one statement let two resets deadlock on PostgreSQL.
    const pair = freshKey();
    const account = freshKey();
    const login = async (): Promise<void> => {
      await store.claim(pair, policy, T0);
      await store.claim(account, policy, T0);
      await store.reset([pair, account]);
    };
    for (let round = 0; round < 30; round += 1) {
      await Promise.all(Array.from({ length: 8 }, login));
    }
    await expect(store.blockedFor(pair, T0)).resolves.toBe(0);
  });

  it('does not refuse a free attempt whose clock read is a little older than the last one', async () => {
    const key = freshKey();
    await expect(store.claim(key, policy, T0 + 5)).resolves.toEqual({ allowed: true });
    await expect(store.claim(key, policy, T0)).resolves.toEqual({ allowed: true });
  });

  it('lets exactly the free attempts through when they arrive all at once', async () => {
    const key = freshKey();
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => store.claim(key, policy, T0)),
    );
    expect(claims.filter((claim) => claim.allowed)).toHaveLength(3);
  });

  it('counts requests in a window and blocks the one over the limit for the block duration', async () => {
    const key = freshKey();
    await expect(store.hit(key, 60_000, 2, 30_000, T0)).resolves.toEqual({
      allowed: true,
      hits: 1,
      windowEndsAt: T0 + 60_000,
      blockedUntil: 0,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 1)).resolves.toMatchObject({
      allowed: true,
      hits: 2,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 2)).resolves.toEqual({
      allowed: false,
      hits: 3,
      windowEndsAt: T0 + 60_000,
      blockedUntil: T0 + 30_002,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 3)).resolves.toMatchObject({
      allowed: false,
      hits: 3,
      blockedUntil: T0 + 30_002,
    });
  });

  it('opens a new window once the old one has ended', async () => {
    const key = freshKey();
    await store.hit(key, 60_000, 1, 1000, T0);
    await store.hit(key, 60_000, 1, 1000, T0 + 1);
    await expect(store.hit(key, 60_000, 1, 1000, T0 + 60_000)).resolves.toEqual({
      allowed: true,
      hits: 1,
      windowEndsAt: T0 + 120_000,
      blockedUntil: T0 + 1001,
    });
  });

  it('never lets more than the limit through a window when requests arrive all at once', async () => {
    const key = freshKey();
    const states = await Promise.all(
      Array.from({ length: 12 }, () => store.hit(key, 60_000, 5, 60_000, T0)),
    );
    expect(states.filter((state) => state.allowed)).toHaveLength(5);
  });
});
