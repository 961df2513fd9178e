import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { RequestContext } from '../common/request-context';
import { throttlingConfig } from '../config/throttling.config';
import { ThrottleClock } from './throttle-clock';
import { retryAfterSeconds } from './throttle-policy';
import { ThrottleStore } from './throttle-store';
import { orUnavailable } from './too-many-requests';

const HOUR_MS = 3_600_000;

/** A 429 outside the OAuth endpoints: problem details with Retry-After. */
export class TooManyRequestsException extends HttpException {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail, HttpStatus.TOO_MANY_REQUESTS);
  }
}

export type Budget = 'registration' | 'profile_change';

/**
 * Hourly budgets of the routes that cost a hash or answer whether an email is taken, per client
 * address and, where there is one, per account; in the shared store, so across all instances.
 */
@Injectable()
export class RequestBudgets {
  private readonly perHour: Record<Budget, number>;

  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: ThrottleClock,
    @Inject(throttlingConfig.KEY) config: ConfigType<typeof throttlingConfig>,
  ) {
    this.perHour = {
      registration: config.registrationsPerHour,
      profile_change: config.profileChangesPerHour,
    };
  }

  async spend(budget: Budget, context: RequestContext, accountId?: string): Promise<void> {
    const keys = [`${budget}:ip:${normalizeIp(context.ip ?? '') || 'unknown'}`];
    if (accountId !== undefined) {
      keys.push(`${budget}:account:${accountId}`);
    }
    const now = this.clock.now();
    const limit = this.perHour[budget];
    for (const key of keys) {
      const state = await orUnavailable(
        this.store.hit(key, HOUR_MS, limit, 0, now),
        'This is temporarily unavailable; try again later',
      );
      if (!state.allowed) {
        throw new TooManyRequestsException(
          'Too many requests of this kind; try again later',
          retryAfterSeconds(Math.max(state.windowEndsAt, state.blockedUntil) - now),
        );
      }
    }
  }
}
