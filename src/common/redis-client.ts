import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * A Redis client, for the deployments that set REDIS_URL. ioredis is loaded on first use rather
 * than with the service: without Redis (the SQLite default) its modules were about 50 ms of every
 * start-up and about 2 MiB of memory (docs/PERFORMANCE.md).
 */
export async function connectRedis(url: string, options: RedisOptions): Promise<Redis> {
  const { default: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, options);
  // Failures surface where the client is used (a 503, a "down" health check); without a listener
  // ioredis would also print every failed reconnection.
  client.on('error', () => undefined);
  return client;
}
