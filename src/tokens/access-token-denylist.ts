import type { EntityManager } from 'typeorm';
import { CLOCK_SKEW_SECONDS } from './clock-skew';

// Every instance sees a revocation on its next request: the Redis store moves the revocation epoch
// itself, as the database store's insert does through its trigger.
export abstract class AccessTokenDenylist {
  /** In `transaction` when the store is the database's. */
  abstract revoke(jti: string, expiresAt: Date, transaction?: EntityManager): Promise<void>;

  abstract isRevoked(jti: string): Promise<boolean>;

  /** Entries that can no longer matter (their token could not verify any more). */
  abstract purgeExpired(now: number): Promise<number>;
}

/** Verification accepts a token CLOCK_SKEW_SECONDS past its exp: the entry outlives exp by that. */
export function denylistEntryEnd(expiresAt: Date): Date {
  return new Date(expiresAt.getTime() + CLOCK_SKEW_SECONDS * 1000);
}
