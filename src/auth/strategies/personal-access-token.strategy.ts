import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { AuthenticatedUser } from '../authenticated-user';
import { PrincipalsService } from '../principals.service';

export const PERSONAL_ACCESS_TOKEN_STRATEGY = 'personal-access-token';

/** `Authorization: Bearer pat_...`: JwtAuthGuard picks this strategy by the prefix. */
const PERSONAL_BEARER = /^Bearer\s+(pat_\S*)$/i;

export function personalAccessTokenOf(
  request: Pick<FastifyRequest, 'headers'>,
): string | undefined {
  return PERSONAL_BEARER.exec(request.headers.authorization ?? '')?.[1];
}

@Injectable()
export class PersonalAccessTokenStrategy extends PassportStrategy(
  Strategy,
  PERSONAL_ACCESS_TOKEN_STRATEGY,
) {
  constructor(private readonly principals: PrincipalsService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<AuthenticatedUser | false> {
    const token = personalAccessTokenOf(request);
    return token === undefined ? false : this.principals.userForPersonalAccessToken(token);
  }
}
