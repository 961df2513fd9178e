import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RouteMetadata } from '../../platform/route-metadata';
import { AuthenticatedUser } from '../authenticated-user';
import {
  PERSONAL_ACCESS_KEY,
  PersonalAccess,
  SESSION_TOKENS_ONLY,
} from '../decorators/token-scope.decorator';

/**
 * Registered as APP_GUARD after RolesGuard: a personal access token reaches a route only with the
 * scope the route declares (@TokenScope), never one marked @SessionTokenOnly() or declaring
 * nothing. Access tokens from a login pass untouched.
 */
@Injectable()
export class TokenScopeGuard implements CanActivate {
  private readonly personalAccess: RouteMetadata<PersonalAccess>;

  constructor(reflector: Reflector) {
    this.personalAccess = new RouteMetadata(reflector, PERSONAL_ACCESS_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const { user } = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const personal = user?.personalAccessToken;
    if (!personal) {
      return true;
    }
    const required = this.personalAccess.of(context);
    if (required === undefined || required === SESSION_TOKENS_ONLY) {
      throw new ForbiddenException(
        'A personal access token cannot call this route: it needs an access token from a login',
      );
    }
    if (!personal.scopes.includes(required)) {
      throw new ForbiddenException(`This personal access token lacks the ${required} scope`);
    }
    return true;
  }
}
