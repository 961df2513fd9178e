import { HttpStatus, Logger, ServiceUnavailableException } from '@nestjs/common';
import { OAuthException } from '../common/oauth.exception';
import { retryAfterSeconds } from './throttle-policy';

export const LOGIN_THROTTLED = 'Too many failed login attempts; try again later';
export const MFA_THROTTLED = 'Too many wrong codes; try again later';
export const BUDGET_EXCEEDED = 'Too many requests from this address; try again later';

// RFC 6749 has no code for rate limiting; `slow_down` is the token endpoint's registered one for
// "retry later, less often" (RFC 8628 section 3.5).
export function tooManyRequests(retryAfterMs: number, description: string): OAuthException {
  return new OAuthException('slow_down', description, HttpStatus.TOO_MANY_REQUESTS, {
    retryAfterSeconds: retryAfterSeconds(retryAfterMs),
  });
}

const logger = new Logger('Throttling');

/** Fail closed: without its counters the endpoint answers 503 rather than skip the limits. */
export async function orUnavailable<T>(
  work: Promise<T>,
  detail = 'Login is temporarily unavailable; try again later',
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    throw new ServiceUnavailableException(detail);
  }
}
