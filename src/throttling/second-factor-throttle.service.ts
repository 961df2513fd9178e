import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { RequestContext } from '../common/request-context';
import { throttlingConfig } from '../config/throttling.config';
import { SecurityEvents } from '../events/security-events.service';
import { delayPolicy, FailureCounters } from './failure-counters';
import { digest } from './throttle-keys';
import { DelayPolicy } from './throttle-policy';
import { MFA_THROTTLED, tooManyRequests } from './too-many-requests';

/** The store keys of second-factor checks: apart from the login's, so neither locks the other. */
export function secondFactorKeys(userId: string, ip: string | null) {
  const address = normalizeIp(ip ?? '') || 'unknown';
  return { account: `mfa:account:${digest(userId)}`, address: `mfa:address:${digest(address)}` };
}

/**
 * Code failures (TOTP or recovery code), per account and per client address, on counters of
 * their own: password guessing cannot delay the second factor, and the budget of code guesses
 * a day is in docs/security.md.
 */
@Injectable()
export class SecondFactorThrottle {
  private readonly policy: DelayPolicy;

  constructor(
    private readonly counters: FailureCounters,
    private readonly events: SecurityEvents,
    @Inject(throttlingConfig.KEY) config: ConfigType<typeof throttlingConfig>,
  ) {
    this.policy = delayPolicy({
      failuresBeforeDelay: config.mfaFailuresBeforeDelay,
      firstDelayMs: config.mfaFirstDelayMs,
      maxDelayMs: config.mfaMaxDelayMs,
    });
  }

  /** Runs `check` (a code check of `userId`'s) as one attempt; while delayed: 429, no check. */
  attempt<T>(userId: string, context: RequestContext, check: () => Promise<T>): Promise<T> {
    const keys = secondFactorKeys(userId, context.ip);
    return this.counters.attempt(
      {
        counters: [
          { key: keys.account, policy: this.policy },
          { key: keys.address, policy: this.policy },
        ],
        screen: keys.account,
        refuse: async (retryAfterMs) => {
          await this.events.publish({
            type: 'mfa_challenge_failed',
            userId,
            context,
            detail: { outcome: 'failure', reason: 'throttled' },
          });
          return tooManyRequests(retryAfterMs, MFA_THROTTLED);
        },
      },
      check,
    );
  }
}
