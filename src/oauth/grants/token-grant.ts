import type { FastifyRequest } from 'fastify';
import { Client } from '../../clients/entities/client.entity';
import { RequestContext } from '../../common/request-context';
import { SecurityEvents } from '../../events/security-events.service';
import { IssuedAccessToken } from '../../tokens/access-tokens.service';
import { TokenRequestDto } from '../dto/token-request.dto';
import { TokenResponseDto } from '../dto/token-response.dto';

export interface GrantRequest {
  body: TokenRequestDto;
  client: Client | undefined;
  request: FastifyRequest;
  context: RequestContext;
}

/** Same steps, same order: refuse an unregistered client, apply the limits, authenticate, issue. */
export interface TokenGrant {
  issue(grant: GrantRequest): Promise<TokenResponseDto>;
}

export function tokenResponse(issued: IssuedAccessToken, refreshToken?: string): TokenResponseDto {
  return {
    access_token: issued.accessToken,
    token_type: 'bearer',
    expires_in: issued.expiresIn,
    refresh_token: refreshToken,
    scope: issued.scope,
  };
}

export function publishIssued(
  events: SecurityEvents,
  grant: string,
  {
    userId,
    clientId,
    context,
  }: { userId: string | null; clientId?: string | null; context: RequestContext },
): Promise<void> {
  return events.publish({ type: 'token_issued', userId, clientId, context, detail: { grant } });
}
