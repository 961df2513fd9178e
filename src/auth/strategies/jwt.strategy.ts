import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { appConfig } from '../../config/app.config';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { SigningKeysService } from '../../tokens/signing-keys.service';
import { AuthService, CLOCK_SKEW_SECONDS } from '../auth.service';
import { AuthenticatedUser } from '../authenticated-user';

/**
 * Verification is pinned to the configured algorithm, so `alg: none` and HS256-with-the-public-key
 * tokens are refused before any signature check; the header's `typ` and `kid` are checked when
 * the key is chosen, and the account checks run after the signature verified.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly auth: AuthService,
    accessTokens: AccessTokensService,
    keys: SigningKeysService,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request, rawToken: string, done) => {
        try {
          // jsonwebtoken 9 verifies with a KeyObject (and fast); @types/passport-jwt predates that.
          done(null, accessTokens.verificationKeyFor(rawToken) as unknown as Buffer);
        } catch (error) {
          done(error);
        }
      },
      algorithms: [keys.algorithm],
      issuer: app.issuer,
      audience: app.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: CLOCK_SKEW_SECONDS },
    });
  }

  validate(payload: unknown): Promise<AuthenticatedUser> {
    return this.auth.userForAccessToken(payload);
  }
}
