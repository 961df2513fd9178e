import { connectRedis } from '../common/redis-client';
import { Environment } from '../config/environment';

const REDIS_PROBE_TIMEOUT_MS = 1000;
const UNSPECIFIED_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/** A URL fit for a log line: the password goes, the rest names the server. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** The default issuer is built from HOST; from an address that means "all", no client can use it. */
export function unusableIssuerWarning(env: Environment): string | undefined {
  if (env.ISSUER !== undefined || !UNSPECIFIED_ADDRESSES.has(env.HOST)) {
    return undefined;
  }
  return (
    `HOST=${env.HOST} with no ISSUER: tokens name http://${env.HOST}:${env.PORT} as their ` +
    'issuer, which no client can reach or expect; set ISSUER to the URL clients use'
  );
}

/** One connection attempt: the service still starts (Redis-backed checks answer 503 until it is up). */
export async function unreachableRedisWarning(url: string): Promise<string | undefined> {
  const client = await connectRedis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connect() rejects with "Connection is closed"; the cause is the socket's own error.
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError ??= error));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const cause = (socketError ?? (error instanceof Error ? error : new Error(String(error))))
      .message;
    return (
      `Redis at ${withoutPassword(url)} is unreachable (${cause}); throttling and revocation ` +
      'checks answer 503 until it is'
    );
  } finally {
    client.disconnect();
  }
}
