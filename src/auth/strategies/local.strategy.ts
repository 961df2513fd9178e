import { HttpStatus, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { OAuthException } from '../../common/oauth.exception';
import { User } from '../../users/entities/user.entity';
import { AuthService } from '../auth.service';

/** The password grant's credential check; the same answer whether the username or password is wrong. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  async validate(username: string, password: string): Promise<User> {
    const user = await this.auth.validateCredentials(username, password);
    if (!user) {
      throw new OAuthException(
        'invalid_grant',
        'Incorrect username or password',
        HttpStatus.UNAUTHORIZED,
      );
    }
    if (user.disabled) {
      throw new OAuthException('access_denied', 'This account is disabled', HttpStatus.FORBIDDEN);
    }
    return user;
  }
}
