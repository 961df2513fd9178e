import { HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { OAuthException } from '../common/oauth.exception';
import { BUDGET_EXCEEDED } from './too-many-requests';

export const TOKEN_BUDGET_WINDOW_MS = 60_000;

/** ThrottlerGuard has already set Retry-After when it calls this; only the body is ours. */
@Injectable()
export class TokenBudgetGuard extends ThrottlerGuard {
  protected override throwThrottlingException(): Promise<void> {
    throw new OAuthException('slow_down', BUDGET_EXCEEDED, HttpStatus.TOO_MANY_REQUESTS);
  }
}
