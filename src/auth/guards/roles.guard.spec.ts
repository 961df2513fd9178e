import { ForbiddenException, Type } from '@nestjs/common';
import { User } from '../../users/entities/user.entity';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { AuthenticatedUser } from '../authenticated-user';
import { Roles } from '../decorators/roles.decorator';
import { RolesGuard } from './roles.guard';

class OpenController {
  anyone(): void {}

  @Roles('admin')
  adminsOnly(): void {}

  @Roles('auditor', 'admin')
  auditorsOrAdmins(): void {}
}

@Roles('admin')
class AdminController {
  list(): void {}

  @Roles('auditor')
  audit(): void {}
}

function caller(...roles: string[]): AuthenticatedUser {
  const id = 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d';
  const account = Object.assign(new User(), { id, username: 'grace', roles });
  return { id, username: 'grace', roles, tokenId: 'jti-1', account };
}

function canActivate(
  controller: Type<unknown>,
  handler: () => void,
  user?: AuthenticatedUser,
): boolean {
  const request = { headers: {}, user };
  const context = new ExecutionContextHost([request, {}], controller, handler);
  return new RolesGuard(new Reflector()).canActivate(context);
}

describe('RolesGuard', () => {
  it('allows a route without @Roles, even without a user', () => {
    expect(canActivate(OpenController, OpenController.prototype.anyone)).toBe(true);
  });

  it('allows a caller who has the required role', () => {
    expect(
      canActivate(OpenController, OpenController.prototype.adminsOnly, caller('user', 'admin')),
    ).toBe(true);
  });

  it('allows a caller who has any one of several required roles', () => {
    expect(
      canActivate(OpenController, OpenController.prototype.auditorsOrAdmins, caller('auditor')),
    ).toBe(true);
  });

  it('refuses a caller without the required role with ForbiddenException', () => {
    expect(() =>
      canActivate(OpenController, OpenController.prototype.adminsOnly, caller('user')),
    ).toThrow(ForbiddenException);
  });

  it('refuses a caller who has no roles at all', () => {
    expect(() =>
      canActivate(OpenController, OpenController.prototype.adminsOnly, caller()),
    ).toThrow(ForbiddenException);
  });

  it('refuses with ForbiddenException when there is no user on the request', () => {
    expect(() => canActivate(OpenController, OpenController.prototype.adminsOnly)).toThrow(
      ForbiddenException,
    );
  });

  it('applies a class-level @Roles to every handler of the class', () => {
    expect(canActivate(AdminController, AdminController.prototype.list, caller('admin'))).toBe(
      true,
    );
    expect(() =>
      canActivate(AdminController, AdminController.prototype.list, caller('user')),
    ).toThrow(ForbiddenException);
  });

  it('lets a handler-level @Roles override the class-level one', () => {
    expect(canActivate(AdminController, AdminController.prototype.audit, caller('auditor'))).toBe(
      true,
    );
    expect(() =>
      canActivate(AdminController, AdminController.prototype.audit, caller('admin')),
    ).toThrow(ForbiddenException);
  });
});
