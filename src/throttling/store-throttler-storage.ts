import { Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottleClock } from './throttle-clock';
import { ThrottleStore } from './throttle-store';
import { orUnavailable } from './too-many-requests';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/** The per-IP budget lives where the login counters do (the database, or Redis). */
@Injectable()
export class StoreThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: ThrottleClock,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    const state = await orUnavailable(
      this.store.hit(`budget:${throttlerName}:${key}`, ttl, limit, blockDuration, now),
    );
    return {
      // Concurrent requests may have counted since; the allowed one still had a hit to spare.
      totalHits: state.allowed ? Math.min(state.hits, limit) : state.hits,
      timeToExpire: seconds(state.windowEndsAt - now),
      isBlocked: !state.allowed,
      timeToBlockExpire: seconds(state.blockedUntil - now),
    };
  }
}
