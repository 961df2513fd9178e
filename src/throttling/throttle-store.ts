import { DelayPolicy } from './throttle-policy';

/**
 * `delayed`: the key waits out a delay. `busy`: as many attempts are in flight as failures remain
 * before the delay (one, once delays have begun); the caller may ask again shortly.
 */
export type Reservation =
  | { outcome: 'reserved'; generation: number }
  | { outcome: 'delayed'; retryAfterMs: number }
  | { outcome: 'busy' };

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
  /**
   * Admits an attempt while confirmed failures plus attempts in flight stay under the threshold,
   * so attempts in flight can never add up to more failures than the threshold allows.
   */
  abstract reserve(key: string, policy: DelayPolicy, now: number): Promise<Reservation>;

  /** Counts a failure of a reserved attempt and gives its place back. */
  abstract recordFailure(
    key: string,
    policy: DelayPolicy,
    generation: number,
    now: number,
  ): Promise<void>;

  /** Clears the count and the delay, and gives the attempt's place back. */
  abstract recordSuccess(key: string, generation: number): Promise<void>;

  /** Gives the place back without counting: the attempt was refused before its check. */
  abstract release(key: string, generation: number): Promise<void>;

  abstract blockedFor(key: string, now: number): Promise<number>;

  /** Counters nothing depends on any more (Redis expires its own). */
  abstract purgeExpired(now: number): Promise<number>;

  /** The request over `limit` blocks the key for `blockMs`; blocked requests are not counted. */
  abstract hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState>;
}
