import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';
import { Strategy } from 'passport-custom';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { AuthenticatedUser } from '../authenticated-user';
import { PrincipalsService } from '../principals.service';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** JwtStrategy's twin for EdDSA, which passport-jwt's verifier lacks: jose verifies instead. */
@Injectable()
export class EdDsaJwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly principals: PrincipalsService,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<AuthenticatedUser | false> {
    const rawToken = bearerToken(request);
    if (!rawToken) {
      return false;
    }
    return this.principals.userFor(await this.accessTokens.verify(rawToken));
  }
}
