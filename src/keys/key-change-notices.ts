import type Redis from 'ioredis';
import { closeRedis, connectRedis, connectRedisStore } from '../common/redis-client';

// Redis pub/sub, so that every instance signs with a promoted key at once rather than at its next
// periodic reload. A notice carries no authority: it only makes an instance read the database.
export class KeyChangeNotices {
  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {}

  static async open(
    url: string,
    keyPrefix: string,
    onNotice: () => void,
  ): Promise<KeyChangeNotices> {
    const channel = `${keyPrefix}signing-keys`;
    const publisher = await connectRedisStore(url, keyPrefix);
    // A subscribed connection can send nothing else, so it is a second one; it retries for ever,
    // and reads the keys each time it is (back) up, for the notices it missed while down.
    const subscriber = await connectRedis(url, { maxRetriesPerRequest: null });
    subscriber.on('message', onNotice);
    subscriber.on('ready', onNotice);
    void subscriber.subscribe(channel).catch(() => undefined);
    return new KeyChangeNotices(publisher, subscriber, channel);
  }

  async announce(kid: string): Promise<void> {
    await this.publisher.publish(this.channel, kid);
  }

  async close(): Promise<void> {
    await Promise.all([closeRedis(this.publisher), closeRedis(this.subscriber)]);
  }
}
