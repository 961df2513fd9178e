import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { SigningKeysService } from '../../keys/signing-keys.service';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { AuthenticatedUser } from '../authenticated-user';
import { PrincipalsService } from '../principals.service';

/** The key is picked by kid only once the header passed (SigningKeysService.verificationKeyFor). */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    keys: SigningKeysService,
    accessTokens: AccessTokensService,
    private readonly principals: PrincipalsService,
  ) {
    const { algorithms, issuer, audience, clockTolerance } = accessTokens.verifyOptions;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms,
      issuer,
      audience,
      // Not the place for the three above: passport-jwt overwrites them with its own options.
      jsonWebTokenOptions: { clockTolerance },
      secretOrKeyProvider: (_request: unknown, rawToken: string, done) => {
        keys.verificationKeyFor(rawToken).then(
          // jsonwebtoken takes the parsed KeyObject as it is; @types/passport-jwt predates that.
          (key) => done(null, key as unknown as Buffer),
          (error: unknown) => done(error),
        );
      },
    });
  }

  validate(payload: unknown): Promise<AuthenticatedUser> {
    return this.principals.userFor(payload);
  }
}
