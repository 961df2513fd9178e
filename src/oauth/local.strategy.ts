import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import { Strategy } from 'passport-local';
import { OAuthException } from '../common/oauth.exception';
import { requestContext } from '../common/request-context';
import { CredentialsService } from '../users/credentials.service';
import { User } from '../users/entities/user.entity';

/** The password grant's subject: the same answer whether the username or the password is wrong. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly credentials: CredentialsService) {
    super({ passReqToCallback: true });
  }

  validate(request: FastifyRequest, username: string, password: string): Promise<User> {
    return this.credentials.authenticatePassword(username, password, requestContext(request));
  }
}

export const missingCredentials = () =>
  new OAuthException('invalid_request', 'username and password are required');

type Middleware = (
  request: FastifyRequest,
  response: object,
  next: (error?: unknown) => void,
) => void;

// A guard runs before pipes, so the grant calls this on the validated body, not AuthGuard('local').
export function authenticateLocally(request: FastifyRequest): Promise<User> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, user?: User | false) => {
      if (user) {
        resolve(user);
      } else {
        reject(error instanceof Error ? error : missingCredentials());
      }
    };
    const authenticate = passport.authenticate('local', { session: false }, done) as Middleware;
    authenticate(request, {}, done);
  });
}
