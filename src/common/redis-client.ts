import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * A Redis client, for the deployments that set REDIS_URL. ioredis is loaded on first use rather
 * than with the service: without Redis (the SQLite default) its modules cost every instance 6-7
 * MiB of memory and about 50 ms of loading (docs/PERFORMANCE.md).
 */
export async function connectRedis(url: string, options: RedisOptions): Promise<Redis> {
  const { default: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, options);
  // Failures surface where the client is used (a 503, a "down" health check); without a listener
  // ioredis would also print every failed reconnection.
  client.on('error', () => undefined);
  return client;
}

/** How long a request-path command may wait for Redis before the store fails closed. */
const STORE_COMMAND_TIMEOUT_MS = 1000;

/**
 * A client for a store on the request path (throttling counters, the access-token denylist): a
 * request waits for Redis at most one retry, then the store fails closed (503). The timeout is
 * for a Redis that holds the connection open but never answers (hung, or a network that drops
 * packets): without it such a request would wait as long as the connection stays up.
 */
export function connectRedisStore(url: string, keyPrefix: string): Promise<Redis> {
  return connectRedis(url, {
    keyPrefix,
    maxRetriesPerRequest: 1,
    commandTimeout: STORE_COMMAND_TIMEOUT_MS,
  });
}

/** Closes a client on shutdown; QUIT would wait in the offline queue forever if Redis never answered. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit();
  } else {
    client.disconnect();
  }
}
