import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { operationsConfig } from '../config/operations.config';

const PING_TIMEOUT_MS = 1000;

/** PING on a connection of its own, so a probe never queues behind the throttling traffic. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private client?: Redis;

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
      await Promise.race([this.connection().ping(), timeout]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
  }

  private connection(): Redis {
    if (!this.client) {
      this.client = new Redis(this.config.redisUrl as string, {
        connectTimeout: PING_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
      });
      // Failures surface as a "down" check; without a listener ioredis prints each one.
      this.client.on('error', () => undefined);
    }
    return this.client;
  }
}
