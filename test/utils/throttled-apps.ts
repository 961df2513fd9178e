import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ThrottleClock } from '../../src/throttling/throttle-clock';
import { startTestApp, TestApp, TestAppOptions } from './test-app';

/** The throttling counters' homes under test: the database, and Redis when TEST_REDIS_URL is set. */
export function throttleStores(): Array<[string, string | undefined]> {
  const stores: Array<[string, string | undefined]> = [['database', undefined]];
  if (process.env.TEST_REDIS_URL) {
    stores.push(['redis', process.env.TEST_REDIS_URL]);
  }
  return stores;
}

/** Apps on one store; each gets its own Redis key prefix unless it shares another app's. */
export class ThrottledApps {
  private readonly prefixes = new Map<TestApp, string>();

  constructor(private readonly redis: string | undefined) {}

  async start(
    env: Record<string, string | undefined> = {},
    options: TestAppOptions & { sharePrefixOf?: TestApp } = {},
  ): Promise<TestApp> {
    const shared = options.sharePrefixOf && this.prefixes.get(options.sharePrefixOf);
    const prefix = shared ?? `portcullis-e2e-${randomBytes(6).toString('hex')}:`;
    const t = await startTestApp(
      { REDIS_URL: this.redis, REDIS_KEY_PREFIX: prefix, ...env },
      options,
    );
    this.prefixes.set(t, prefix);
    return t;
  }

  prefixOf(t: TestApp): string | undefined {
    return this.prefixes.get(t);
  }

  /** Closes every app (those sharing a database first) and deletes their Redis keys. */
  async closeAll(): Promise<void> {
    const apps = [...this.prefixes.keys()].reverse();
    for (const t of apps) {
      await t.close();
    }
    if (this.redis) {
      const client = new Redis(this.redis);
      for (const prefix of new Set(this.prefixes.values())) {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) {
          await client.del(...keys);
        }
      }
      await client.quit();
    }
    this.prefixes.clear();
  }
}

/** Freezes the throttling clock of every app at one time; the returned function moves it on. */
export function freezeThrottleClocks(...apps: TestApp[]): (ms: number) => void {
  let now = Date.now();
  for (const t of apps) {
    jest.spyOn(t.app.get(ThrottleClock), 'now').mockImplementation(() => now);
  }
  return (ms) => {
    now += ms;
  };
}

let addressCounter = 0;
/** A client address no other test of the file uses (198.18.0.0/15 is for tests, RFC 2544). */
export function newAddress(): string {
  addressCounter += 1;
  return `198.18.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
}

/** A password grant from `address` (X-Forwarded-For: apps started with TRUST_PROXY=true). */
export function passwordAttempt(t: TestApp, username: string, password: string, address?: string) {
  const request = t.http.post('/auth/token').type('form');
  if (address) {
    void request.set('X-Forwarded-For', address);
  }
  return request.send({ grant_type: 'password', username, password });
}
