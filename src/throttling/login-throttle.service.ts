import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { RequestContext } from '../common/request-context';
import { throttlingConfig } from '../config/throttling.config';
import { SecurityEvents } from '../events/security-events.service';
import { normalizeUsername } from '../users/username';
import { ThrottleClock } from './throttle-clock';
import { DelayPolicy } from './throttle-policy';
import { ThrottleStore } from './throttle-store';
import { LOGIN_THROTTLED, orUnavailable, tooManyRequests } from './too-many-requests';

/** Long enough that waiting out a delay does not wipe the slate, short enough to forget typos. */
const FAILURE_MEMORY_MS = 24 * 3600_000;

export interface LoginAttempt {
  keys: string[];
}

// Hashed so that the store never holds usernames (or passwords typed into the username field).
const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Unknown usernames go through the same counters: whether an account exists must not show. */
@Injectable()
export class LoginThrottle {
  private readonly pairPolicy: DelayPolicy;
  private readonly accountPolicy: DelayPolicy;

  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: ThrottleClock,
    private readonly events: SecurityEvents,
    @Inject(throttlingConfig.KEY) config: ConfigType<typeof throttlingConfig>,
  ) {
    this.pairPolicy = {
      failuresBeforeDelay: config.failuresBeforeDelay,
      firstDelayMs: config.firstDelayMs,
      maxDelayMs: config.maxDelayMs,
      memoryMs: FAILURE_MEMORY_MS,
    };
    // Short: anyone who knows a username can hold its account at the ceiling (docs/security.md,
    // Throttling, "Why no lockout").
    this.accountPolicy = {
      failuresBeforeDelay: config.accountFailureCeiling,
      firstDelayMs: config.firstDelayMs,
      maxDelayMs: config.accountMaxDelayMs,
      memoryMs: FAILURE_MEMORY_MS,
    };
  }

  // Counts the attempt as a failure before the password is verified, so that concurrent attempts
  // cannot all pass before any is recorded. While delayed: 429, the password never looked at.
  async begin(username: string, context: RequestContext): Promise<LoginAttempt> {
    const normalised = normalizeUsername(username);
    const address = normalizeIp(context.ip ?? '') || 'unknown';
    const accountKey = `login:account:${digest(normalised)}`;
    const pairKey = `login:pair:${digest(`${normalised}\n${address}`)}`;
    const now = this.clock.now();

    // Looked at before the pair is counted, so that the real user's attempts refused while an
    // attacker holds the account at its ceiling do not also use up the user's own pair.
    const accountWait = await orUnavailable(this.store.blockedFor(accountKey, now));
    if (accountWait > 0) {
      throw await this.refuse(normalised, accountWait, context);
    }
    const pair = await orUnavailable(this.store.claim(pairKey, this.pairPolicy, now));
    if (!pair.allowed) {
      throw await this.refuse(normalised, pair.retryAfterMs, context);
    }
    const account = await orUnavailable(this.store.claim(accountKey, this.accountPolicy, now));
    if (!account.allowed) {
      throw await this.refuse(normalised, account.retryAfterMs, context);
    }
    return { keys: [pairKey, accountKey] };
  }

  /** A success from anywhere clears the account's count, and this pair's. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    await orUnavailable(this.store.reset(attempt.keys));
  }

  private async refuse(
    username: string,
    retryAfterMs: number,
    context: RequestContext,
  ): Promise<Error> {
    await this.events.publish({
      type: 'login_failed',
      context,
      detail: { outcome: 'failure', reason: 'throttled', username },
    });
    return tooManyRequests(retryAfterMs, LOGIN_THROTTLED);
  }
}
