import { ForbiddenException, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { User } from '../../users/entities/user.entity';
import { AuthenticatedUser } from '../authenticated-user';
import { SessionTokenOnly } from '../decorators/session-token-only.decorator';
import { TokenScope } from '../decorators/token-scope.decorator';
import { TokenScopeGuard } from './token-scope.guard';

@TokenScope('profile')
class ProfileController {
  read(): void {}

  @SessionTokenOnly()
  changePassword(): void {}

  @TokenScope('admin')
  administer(): void {}
}

class UndeclaredController {
  anything(): void {}
}

function caller(scopes?: string[]): AuthenticatedUser {
  const id = 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d';
  const account = Object.assign(new User(), { id, username: 'grace' });
  return {
    id,
    username: 'grace',
    roles: ['user', 'admin'],
    tokenId: 'token-1',
    personalAccessToken: scopes && { scopes },
    account,
  };
}

function canActivate(
  controller: Type<unknown>,
  handler: () => void,
  user?: AuthenticatedUser,
): boolean {
  const context = new ExecutionContextHost([{ headers: {}, user }, {}], controller, handler);
  return new TokenScopeGuard(new Reflector()).canActivate(context);
}

describe('TokenScopeGuard', () => {
  const { read, changePassword, administer } = ProfileController.prototype;

  it('lets an access token from a login through whatever the route declares', () => {
    for (const handler of [read, changePassword, administer]) {
      expect(canActivate(ProfileController, handler, caller())).toBe(true);
    }
    expect(canActivate(UndeclaredController, UndeclaredController.prototype.anything)).toBe(true);
  });

  it("lets a personal access token through with the route's scope", () => {
    expect(canActivate(ProfileController, read, caller(['profile']))).toBe(true);
    expect(canActivate(ProfileController, administer, caller(['admin']))).toBe(true);
  });

  it('refuses a personal access token without the scope, a handler-level one overriding the class', () => {
    expect(() => canActivate(ProfileController, read, caller(['admin']))).toThrow(
      ForbiddenException,
    );
    expect(() => canActivate(ProfileController, administer, caller(['profile']))).toThrow(
      'lacks the admin scope',
    );
  });

  it('refuses a personal access token on a session-only route, and on one that declares nothing', () => {
    const everything = caller(['profile', 'admin']);
    expect(() => canActivate(ProfileController, changePassword, everything)).toThrow(
      'needs an access token from a login',
    );
    expect(() =>
      canActivate(UndeclaredController, UndeclaredController.prototype.anything, everything),
    ).toThrow(ForbiddenException);
  });
});
