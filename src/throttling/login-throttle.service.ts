import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
/** A check unanswered this long (its instance stopped mid-check) no longer holds its place. */
export const IN_FLIGHT_LEASE_MS = 60_000;
/** How long an attempt waits for the checks in flight before it is refused (Retry-After: 1). */
export const IN_FLIGHT_WAIT_MS = 10_000;
const POLL_MS = 25;

// Hashed so that the store never holds usernames (or passwords typed into the username field).
const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The store keys of a login: usernames as logins compare them, IPv6 addresses by /64. */
export function loginKeys(username: string, ip: string | null): { pair: string; account: string } {
  const normalised = normalizeUsername(username);
  const address = normalizeIp(ip ?? '') || 'unknown';
  return {
    pair: `login:pair:${digest(`${normalised}\n${address}`)}`,
    account: `login:account:${digest(normalised)}`,
  };
}

interface Place {
  key: string;
  policy: DelayPolicy;
  generation: number;
}

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
      leaseMs: IN_FLIGHT_LEASE_MS,
    };
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
  async attempt<T>(username: string, context: RequestContext, check: () => Promise<T>): Promise<T> {
    const keys = loginKeys(username, context.ip);
    const started = this.clock.now();
    // While an attacker holds the account at its ceiling, the owner's attempts are refused here,
    // before they take or wait for a place of the owner's own pair.
    const accountWait = await orUnavailable(this.store.blockedFor(keys.account, started));
    if (accountWait > 0) {
      throw await this.refuse(accountWait, context);
    }
    const pair = await this.reserve(keys.pair, this.pairPolicy, started, context);
    let account: Place;
    try {
      account = await this.reserve(keys.account, this.accountPolicy, started, context);
    } catch (error) {
      await orUnavailable(this.store.release(pair.key, pair.generation));
      throw error;
    }
    const places = [pair, account];
    let result: T;
    try {
      result = await check();
    } catch (error) {
      const now = this.clock.now();
      await orUnavailable(
        Promise.all(
          places.map((place) =>
            this.store.recordFailure(place.key, place.policy, place.generation, now),
          ),
        ),
      );
      throw error;
    }
    // A success from anywhere clears the account's count, and this pair's.
    await orUnavailable(
      Promise.all(places.map((place) => this.store.recordSuccess(place.key, place.generation))),
    );
    return result;
  }

  /**
   * A proven owner (a completed password reset) starts afresh: the account's count and delay, and
   * those of the owner's address, are cleared. Attempts in flight keep their places (generation
   * -1 matches none of them).
   */
  async forgive(username: string, context: RequestContext): Promise<void> {
    const keys = loginKeys(username, context.ip);
    await orUnavailable(
      Promise.all([keys.account, keys.pair].map((key) => this.store.recordSuccess(key, -1))),
    );
  }

  // An attempt beyond the places waits for the checks in flight: a success lets it through, the
  // failures that use up the allowance get it refused (docs/security.md, Throttling).
  private async reserve(
    key: string,
    policy: DelayPolicy,
    started: number,
    context: RequestContext,
  ): Promise<Place> {
    for (;;) {
      const now = this.clock.now();
      const reservation = await orUnavailable(this.store.reserve(key, policy, now));
      if (reservation.outcome === 'reserved') {
        return { key, policy, generation: reservation.generation };
      }
      if (reservation.outcome === 'delayed') {
        throw await this.refuse(reservation.retryAfterMs, context);
      }
      if (now - started >= IN_FLIGHT_WAIT_MS) {
        throw await this.refuse(0, context);
      }
      // Jittered, so that the attempts waiting on one key do not ask the store in lockstep.
      await sleep(POLL_MS + Math.random() * POLL_MS);
    }
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
