import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { RequestContext } from '../common/request-context';
import { throttlingConfig } from '../config/throttling.config';
import { SecurityEvents } from '../events/security-events.service';
import { normalizeUsername } from '../users/username';
import { delayPolicy, FailureCounters } from './failure-counters';
import { DelayPolicy } from './throttle-policy';
import { digest } from './throttle-keys';
import { LOGIN_THROTTLED, tooManyRequests } from './too-many-requests';

/** The store keys of a login: usernames as logins compare them, IPv6 addresses by /64. */
export function loginKeys(username: string, ip: string | null): { pair: string; account: string } {
  const normalised = normalizeUsername(username);
  const address = normalizeIp(ip ?? '') || 'unknown';
  return {
    pair: `login:pair:${digest(`${normalised}\n${address}`)}`,
    account: `login:account:${digest(normalised)}`,
  };
}

/** Unknown usernames go through the same counters: whether an account exists must not show. */
@Injectable()
export class LoginThrottle {
  private readonly pairPolicy: DelayPolicy;
  private readonly accountPolicy: DelayPolicy;

  constructor(
    private readonly counters: FailureCounters,
    private readonly events: SecurityEvents,
    @Inject(throttlingConfig.KEY) config: ConfigType<typeof throttlingConfig>,
  ) {
    this.pairPolicy = delayPolicy({
      failuresBeforeDelay: config.failuresBeforeDelay,
      firstDelayMs: config.firstDelayMs,
      maxDelayMs: config.maxDelayMs,
    });
    // Short: anyone who knows a username can hold its account at the ceiling (docs/security.md,
    // Throttling, "Why no lockout").
    this.accountPolicy = {
      ...this.pairPolicy,
      failuresBeforeDelay: config.accountFailureCeiling,
      maxDelayMs: config.accountMaxDelayMs,
    };
  }

  /**
   * Runs `check` (the password check) as one attempt of `username`: a failure if it throws, a
   * success that clears the counters if it returns. While delayed: 429, `check` never runs.
   */
  attempt<T>(username: string, context: RequestContext, check: () => Promise<T>): Promise<T> {
    const keys = loginKeys(username, context.ip);
    return this.counters.attempt(
      {
        counters: [
          { key: keys.pair, policy: this.pairPolicy },
          { key: keys.account, policy: this.accountPolicy },
        ],
        // While an attacker holds the account at its ceiling, the owner's attempts are refused
        // here, before they take or wait for a place of the owner's own pair.
        screen: keys.account,
        refuse: (retryAfterMs) => this.refuse(retryAfterMs, context),
      },
      check,
    );
  }

  /** A proven owner (a completed password reset) starts afresh, on the account and its address. */
  forgive(username: string, context: RequestContext): Promise<void> {
    const keys = loginKeys(username, context.ip);
    return this.counters.clear([keys.account, keys.pair]);
  }

  private async refuse(retryAfterMs: number, context: RequestContext): Promise<Error> {
    await this.events.publish({
      type: 'login_failed',
      context,
      // Not the name typed: it may be a password typed in the wrong field (docs/security.md).
      detail: { outcome: 'failure', reason: 'throttled' },
    });
    return tooManyRequests(retryAfterMs, LOGIN_THROTTLED);
  }
}
