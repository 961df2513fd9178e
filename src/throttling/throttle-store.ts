import { DelayPolicy } from './throttle-policy';

export type Claim = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface WindowState {
  /** Decided atomically: false for the request over the limit and those while blocked. */
  allowed: boolean;
  hits: number;
  windowEndsAt: number;
  blockedUntil: number;
}

// Each deciding operation is one atomic step (a conditional statement, a Lua script), so concurrent
// requests, on any instance, cannot slip past a limit together. Times come from the caller.
export abstract class ThrottleStore {
  /** Counts one failure in advance, unless the key is delayed; a later success calls `reset`. */
  abstract claim(key: string, policy: DelayPolicy, now: number): Promise<Claim>;

  abstract blockedFor(key: string, now: number): Promise<number>;

  abstract reset(keys: string[]): Promise<void>;

  /** The request over `limit` blocks the key for `blockMs`; blocked requests are not counted. */
  abstract hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState>;
}
