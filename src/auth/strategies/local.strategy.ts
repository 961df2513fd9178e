import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { requestContext } from '../../common/request-context';
import { User } from '../../users/entities/user.entity';
import { AuthService } from '../auth.service';

/** The password grant's credential check; the same answer whether the username or password is wrong. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password', passReqToCallback: true });
  }

  validate(request: FastifyRequest, username: string, password: string): Promise<User> {
    return this.auth.authenticatePassword(username, password, requestContext(request));
  }
}
