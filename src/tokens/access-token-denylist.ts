import { CLOCK_SKEW_SECONDS } from './clock-skew';

/**
 * Revoked access tokens by `jti`: in the database, or in Redis when REDIS_URL is set (the
 * contract's "revocation lists live in Redis"). Either way every instance sees a revocation on
 * its next request: the Redis store moves the database's revocation epoch itself, as the
 * database store's insert does through its trigger.
 */
export abstract class AccessTokenDenylist {
  /** Refuses the token with this `jti`, whose `exp` is `expiresAt`, for as long as it could verify. */
  abstract revoke(jti: string, expiresAt: Date): Promise<void>;

  abstract isRevoked(jti: string): Promise<boolean>;
}

/**
 * Until when an entry must be kept: verification accepts a token CLOCK_SKEW_SECONDS past its exp,
 * so an entry dropped at exp would let a revoked token back in for that long.
 */
export function denylistEntryEnd(expiresAt: Date): Date {
  return new Date(expiresAt.getTime() + CLOCK_SKEW_SECONDS * 1000);
}
