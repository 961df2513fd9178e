import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { normalizeIp } from '@nestjs/throttler';
import { RequestContext } from '../common/request-context';
import { mailConfig } from '../config/mail.config';
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

export type Budget = 'registration' | 'profile_change' | 'password_reset' | 'verification_mail';

interface Limits {
  ip: number;
  account: number;
}

/**
 * Hourly budgets of the routes that cost a hash or answer whether an email is taken, per client
 * address and, where there is one, per account; in the shared store, so across all instances.
 * The account key is any stable name of the account: an id, or a digest of what was typed.
 */
@Injectable()
export class RequestBudgets {
  private readonly perHour: Record<Budget, Limits>;

  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: ThrottleClock,
    @Inject(throttlingConfig.KEY) config: ConfigType<typeof throttlingConfig>,
    @Inject(mailConfig.KEY) mail: ConfigType<typeof mailConfig>,
  ) {
    const same = (limit: number): Limits => ({ ip: limit, account: limit });
    const mailLimits = { ip: mail.requestsPerHourPerIp, account: mail.requestsPerHourPerAccount };
    this.perHour = {
      registration: same(config.registrationsPerHour),
      profile_change: same(config.profileChangesPerHour),
      password_reset: mailLimits,
      verification_mail: mailLimits,
    };
  }

  async spend(budget: Budget, context: RequestContext, accountId?: string): Promise<void> {
    const limits = this.perHour[budget];
    const keys: Array<[string, number]> = [
      [`${budget}:ip:${normalizeIp(context.ip ?? '') || 'unknown'}`, limits.ip],
    ];
    if (accountId !== undefined) {
      keys.push([`${budget}:account:${accountId}`, limits.account]);
    }
    const now = this.clock.now();
    for (const [key, limit] of keys) {
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
