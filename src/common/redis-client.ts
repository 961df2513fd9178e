import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

// ioredis is loaded on first use: without Redis its modules cost every instance 6-7 MiB and about
// 50 ms of loading (docs/performance.md, Cold start).
export async function connectRedis(url: string, options: RedisOptions): Promise<Redis> {
  const { default: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, options);
  // Failures surface where the client is used; without a listener ioredis prints each reconnection.
  client.on('error', () => undefined);
  return client;
}

const STORE_COMMAND_TIMEOUT_MS = 1000;

// At most one retry, then the store fails closed (503); the timeout covers a Redis that holds the
// connection open but never answers.
export function connectRedisStore(url: string, keyPrefix: string): Promise<Redis> {
  return connectRedis(url, {
    keyPrefix,
    maxRetriesPerRequest: 1,
    commandTimeout: STORE_COMMAND_TIMEOUT_MS,
  });
}

/** QUIT would wait in the offline queue forever if Redis never answered. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit();
  } else {
    client.disconnect();
  }
}
