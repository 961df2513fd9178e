import {
  CanActivate,
  ExecutionContext,
  HttpException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../common/database-unavailable';
import { RouteMetadata } from '../../platform/route-metadata';
import { AuthenticatedUser } from '../authenticated-user';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { InvalidAccessTokenException } from '../invalid-access-token.exception';
import {
  PERSONAL_ACCESS_TOKEN_STRATEGY,
  personalAccessTokenOf,
} from '../strategies/personal-access-token.strategy';

/** Passport run with `strategy`, its answer turned into the service's: one for each bearer kind. */
function BearerGuard(strategy: string) {
  return class extends AuthGuard(strategy) {
    override handleRequest<TUser = AuthenticatedUser>(
      error: unknown,
      user: TUser | false,
      info: unknown,
      context: ExecutionContext,
    ): TUser {
      // Deliberate answers (403 for a disabled account) pass through. An outage, even while
      // reloading keys for an unknown kid, is 503: a client must not discard a token that may be
      // valid.
      if (error instanceof HttpException || isDatabaseUnavailable(error)) {
        throw error;
      }
      if (isDatabaseUnavailable(info)) {
        throw info;
      }
      if (error || !user) {
        const request = context.switchToHttp().getRequest<FastifyRequest>();
        // RFC 6750 section 3.1: no error code when no bearer token was sent at all.
        throw /^Bearer\s/i.test(request.headers.authorization ?? '')
          ? new InvalidAccessTokenException()
          : new UnauthorizedException('A bearer access token is required');
      }
      return user;
    }
  };
}

const PersonalAccessTokenPassport = BearerGuard(PERSONAL_ACCESS_TOKEN_STRATEGY);

/**
 * Registered as APP_GUARD: every route needs a valid bearer token unless marked @Public(). A
 * `pat_` token goes to the personal access token strategy, anything else to the JWT one: the
 * prefix decides, so an access token pays for no second strategy.
 */
@Injectable()
export class JwtAuthGuard extends BearerGuard('jwt') {
  private readonly isPublic: RouteMetadata<boolean>;
  private readonly personalAccessTokens: CanActivate = new PersonalAccessTokenPassport();

  constructor(reflector: Reflector) {
    super();
    this.isPublic = new RouteMetadata(reflector, IS_PUBLIC_KEY);
  }

  override canActivate(context: ExecutionContext) {
    if (this.isPublic.of(context)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return personalAccessTokenOf(request) === undefined
      ? super.canActivate(context)
      : this.personalAccessTokens.canActivate(context);
  }
}
