import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import {
  AccessTokenClaims,
  AccessTokensService,
  RejectedTokenError,
} from '../../tokens/access-tokens.service';
import { AuthService } from '../auth.service';
import { AuthenticatedUser } from '../authenticated-user';

type PassportRequest = Parameters<Strategy['authenticate']>[0];

/**
 * passport-jwt's own verification step is jsonwebtoken, which cannot verify EdDSA or reload keys
 * when a `kid` is new, and it can only be swapped through a process-wide static. So authenticate()
 * hands the bearer token to AccessTokensService.verify, the one verification path (introspection
 * and revocation use it too); passport-jwt still extracts the token and the strategy stays 'jwt'.
 * The account checks run after the token verified.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

  constructor(
    private readonly auth: AuthService,
    private readonly accessTokens: AccessTokensService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt's constructor insists on a key source; authenticate() below never asks it.
      secretOrKeyProvider: (_request, _rawToken, done) =>
        done(new Error('Access tokens are verified by AccessTokensService.verify')),
    });
  }

  override authenticate(request: PassportRequest): void {
    void this.authenticateBearer(request);
  }

  validate(claims: AccessTokenClaims): Promise<AuthenticatedUser> {
    return this.auth.userForAccessToken(claims);
  }

  private async authenticateBearer(request: PassportRequest): Promise<void> {
    const rawToken = this.bearerToken(request);
    if (!rawToken) {
      this.fail(new Error('No bearer token'), 401);
      return;
    }
    let claims: AccessTokenClaims;
    try {
      claims = await this.accessTokens.verify(rawToken);
    } catch (error) {
      // A refused token fails authentication; anything else (the database, say) is an error.
      if (error instanceof RejectedTokenError) {
        this.fail(error, 401);
      } else {
        this.error(error instanceof Error ? error : new Error(String(error), { cause: error }));
      }
      return;
    }
    try {
      this.success(await this.validate(claims));
    } catch (error) {
      this.error(error instanceof Error ? error : new Error(String(error), { cause: error }));
    }
  }
}
