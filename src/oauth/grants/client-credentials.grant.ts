import { HttpStatus, Injectable } from '@nestjs/common';
import { OAuthException } from '../../common/oauth.exception';
import { SecurityEvents } from '../../events/security-events.service';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { requireGrant } from '../client-authentication';
import { TokenResponseDto } from '../dto/token-response.dto';
import { grantedScope } from '../scopes';
import { GrantRequest, publishIssued, TokenGrant, tokenResponse } from './token-grant';

/** RFC 6749 section 4.4: a service acting for itself; no user, no refresh token. */
@Injectable()
export class ClientCredentialsGrant implements TokenGrant {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly events: SecurityEvents,
  ) {}

  async issue({ body, client, context }: GrantRequest): Promise<TokenResponseDto> {
    if (!client || client.public) {
      throw new OAuthException(
        'invalid_client',
        'client_credentials needs client authentication',
        HttpStatus.UNAUTHORIZED,
      );
    }
    requireGrant(client, 'client_credentials');
    const scope = grantedScope(body.scope, client.scopes);
    const issued = await this.accessTokens.issueForClient(client.clientId, scope);
    const owner = { userId: null, clientId: client.clientId, context };
    await publishIssued(this.events, 'client_credentials', owner);
    return tokenResponse(issued);
  }
}
