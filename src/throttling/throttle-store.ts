import { DelayPolicy } from './throttle-policy';

/** The answer to a login attempt's claim: go ahead (counted), or wait. */
export type Claim = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A fixed-window request counter, as @nestjs/throttler's storage reports it. */
export interface WindowState {
  /** Decided atomically: false for the request over the limit and those while blocked. */
  allowed: boolean;
  hits: number;
  windowEndsAt: number;
  /** Epoch ms; in the past when the key is not blocked. */
  blockedUntil: number;
}

/**
 * Where throttling counters live: the database by default, Redis when REDIS_URL is set. Every
 * operation that decides is one atomic step in the store (one conditional statement, or one Lua
 * script), so concurrent requests on any number of instances cannot slip past a limit together.
 * Times are epoch milliseconds passed in by the caller, so that every store follows one clock.
 */
export abstract class ThrottleStore {
  /**
   * Counts one failure for `key` in advance, unless the key is inside a delay, and starts the
   * delay that this failure earns under `policy`. A success later clears the key with `reset`.
   */
  abstract claim(key: string, policy: DelayPolicy, now: number): Promise<Claim>;

  /** How long `key` is still delayed (0 when it is not). */
  abstract blockedFor(key: string, now: number): Promise<number>;

  abstract reset(keys: string[]): Promise<void>;

  /**
   * Counts one request in the current window of `windowMs`; the request that goes over `limit`
   * blocks the key for `blockMs`. Requests while blocked are not counted.
   */
  abstract hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState>;
}
