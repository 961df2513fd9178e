import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { connectRedis } from '../common/redis-client';
import { operationsConfig } from '../config/operations.config';

const PING_TIMEOUT_MS = 1000;

/** PING on a connection of its own, so a probe never queues behind the throttling traffic. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private client?: Promise<Redis>;

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(operationsConfig.KEY) private readonly config: ConfigType<typeof operationsConfig>,
  ) {}

  get configured(): boolean {
    return this.config.redisUrl !== undefined;
  }

  async pingCheck<Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
      });
      await Promise.race([this.connection().then((client) => client.ping()), timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    (await this.client)?.disconnect();
  }

  private connection(): Promise<Redis> {
    this.client ??= connectRedis(this.config.redisUrl as string, {
      connectTimeout: PING_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
    });
    return this.client;
  }
}
