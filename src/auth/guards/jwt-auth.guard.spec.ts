import { User } from '../../users/entities/user.entity';
import {
  CanActivate,
  ForbiddenException,
  HttpException,
  Type,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { InvalidAccessTokenException } from '../invalid-access-token.exception';
import { RejectedTokenError } from '../../tokens/access-token-claims';
import { AuthenticatedUser } from '../authenticated-user';
import { Public } from '../decorators/public.decorator';
import { PERSONAL_ACCESS_TOKEN_STRATEGY } from '../strategies/personal-access-token.strategy';
import { JwtAuthGuard } from './jwt-auth.guard';

class MixedController {
  @Public()
  health(): void {}

  me(): void {}
}

@Public()
class WellKnownController {
  jwks(): void {}
}

const CALLER: AuthenticatedUser = {
  id: 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d',
  username: 'grace',
  roles: ['user'],
  tokenId: 'jti-1',
  account: Object.assign(new User(), {
    id: 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d',
    username: 'grace',
  }),
};

function context(
  controller: Type<unknown>,
  handler: () => void,
  headers: Record<string, string> = {},
): ExecutionContextHost {
  return new ExecutionContextHost([{ headers }, {}], controller, handler);
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('JwtAuthGuard', () => {
  const guard = new JwtAuthGuard(new Reflector());

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('canActivate', () => {
    function spyOnPassport(): jest.SpyInstance {
      const passportGuard = Object.getPrototypeOf(JwtAuthGuard.prototype) as CanActivate;
      return jest.spyOn(passportGuard, 'canActivate').mockReturnValue(Promise.resolve(true));
    }

    it('lets a @Public() handler through without running passport', () => {
      const passport = spyOnPassport();

      expect(guard.canActivate(context(MixedController, MixedController.prototype.health))).toBe(
        true,
      );
      expect(passport).not.toHaveBeenCalled();
    });

    it('lets every handler of a @Public() class through without running passport', () => {
      const passport = spyOnPassport();

      expect(
        guard.canActivate(context(WellKnownController, WellKnownController.prototype.jwks)),
      ).toBe(true);
      expect(passport).not.toHaveBeenCalled();
    });

    it('hands a pat_ bearer token to the personal access token strategy, not to the JWT one', async () => {
      const jwt = spyOnPassport();
      const personal = jest
        .spyOn(AuthGuard(PERSONAL_ACCESS_TOKEN_STRATEGY).prototype as CanActivate, 'canActivate')
        .mockReturnValue(Promise.resolve(true));
      const route = context(MixedController, MixedController.prototype.me, {
        authorization: 'Bearer pat_abc',
      });

      await expect(guard.canActivate(route)).resolves.toBe(true);
      expect(personal).toHaveBeenCalledWith(route);
      expect(jwt).not.toHaveBeenCalled();
    });

    it('hands any other route to passport and answers what passport answers', async () => {
      const passport = spyOnPassport();
      const protectedRoute = context(MixedController, MixedController.prototype.me);

      await expect(guard.canActivate(protectedRoute)).resolves.toBe(true);
      expect(passport).toHaveBeenCalledWith(protectedRoute);
    });
  });

  describe('handleRequest', () => {
    const route = (headers?: Record<string, string>) =>
      context(MixedController, MixedController.prototype.me, headers);

    it('returns the user the strategy produced', () => {
      expect(
        guard.handleRequest(null, CALLER, undefined, route({ authorization: 'Bearer t' })),
      ).toBe(CALLER);
    });

    it('passes an HttpException from the strategy through unchanged', () => {
      const disabled = new ForbiddenException('This account is disabled');

      expect(
        thrownBy(() =>
          guard.handleRequest(disabled, false, undefined, route({ authorization: 'Bearer t' })),
        ),
      ).toBe(disabled);
    });

    it('answers InvalidAccessTokenException when a token was sent but gave no user', () => {
      const error = thrownBy(() =>
        guard.handleRequest(null, false, undefined, route({ authorization: 'Bearer t' })),
      );

      expect(error).toBeInstanceOf(InvalidAccessTokenException);
    });

    it('answers InvalidAccessTokenException, not the internal error, when a sent token was rejected', () => {
      const rejected = new RejectedTokenError('The token was signed with an unknown key');

      const error = thrownBy(() =>
        guard.handleRequest(rejected, false, undefined, route({ authorization: 'Bearer t' })),
      );

      expect(error).toBeInstanceOf(InvalidAccessTokenException);
      expect((error as HttpException).message).not.toContain('unknown key');
    });

    it('answers a plain UnauthorizedException for another scheme (RFC 6750 section 3.1)', () => {
      const error = thrownBy(() =>
        guard.handleRequest(null, false, undefined, route({ authorization: 'Basic Og==' })),
      );

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error).not.toBeInstanceOf(InvalidAccessTokenException);
    });

    it('answers a plain UnauthorizedException, not InvalidAccessTokenException, when no token was sent', () => {
      const error = thrownBy(() => guard.handleRequest(null, false, undefined, route()));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error).not.toBeInstanceOf(InvalidAccessTokenException);
      expect((error as UnauthorizedException).message).toBe('A bearer access token is required');
    });
  });
});
