import { applyDecorators, Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { invalidClient } from '../clients/client-credentials';
import { ClientsService } from '../clients/clients.service';
import { OAuthEndpoint } from '../common/oauth-endpoint.decorator';
import { SecurityEvents } from '../events/security-events.service';
import { OAuthErrorDto } from '../common/oauth-error.dto';
import { OAuthException } from '../common/oauth.exception';
import { requestContext } from '../common/request-context';
import { Public } from './decorators/public.decorator';
import { IntrospectionResponseDto } from './dto/introspection-response.dto';
import { TokenReferenceDto } from './dto/token-reference.dto';
import { TokenRequestDto } from './dto/token-request.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { TokenEndpointGuard, TokenEndpointRequest } from './guards/token-endpoint.guard';
import { TokenGrantsService } from './token-grants.service';
import { TokenInspectionService } from './token-inspection.service';

const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

const INVALID_TOKEN_REFERENCE =
  'invalid_request: no token, or two client authentication methods at once';

/** Client authentication that may be left out: `{}` is the requirement of no credentials. */
const ApiOptionalClientAuth = () => applyDecorators(ApiSecurity({}), ApiBasicAuth());

@ApiTags('oauth')
@Controller('auth')
export class OAuthController {
  constructor(
    private readonly grants: TokenGrantsService,
    private readonly inspection: TokenInspectionService,
    private readonly clients: ClientsService,
    private readonly events: SecurityEvents,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @OAuthEndpoint()
  @UseGuards(TokenEndpointGuard)
  @ApiOperation({
    summary: 'Issue tokens (RFC 6749): password (the default), refresh_token, client_credentials',
    description:
      'Clients authenticate with HTTP Basic or client_id/client_secret in the body; optional for ' +
      'the password and refresh grants. A refresh token can be used once: presenting it again ' +
      'revokes its whole session.',
  })
  @ApiConsumes(...FORM_OR_JSON)
  @ApiOptionalClientAuth()
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description:
      'invalid_request, invalid_grant, invalid_scope, unauthorized_client, unsupported_grant_type',
  })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    description: 'invalid_grant (wrong password, reused refresh token) or invalid_client',
  })
  @ApiForbiddenResponse({
    type: OAuthErrorDto,
    description: 'access_denied: the account is disabled',
  })
  @ApiTooManyRequestsResponse({
    type: OAuthErrorDto,
    description:
      'slow_down: too many failures for this username, or too many requests from this IP; see Retry-After',
  })
  async token(
    @Body() body: TokenRequestDto,
    @Req() request: TokenEndpointRequest,
  ): Promise<TokenResponseDto> {
    const client = request.oauthClient;
    const grantType = body.grant_type ?? 'password';
    switch (grantType) {
      case 'password':
        if (!request.user) {
          throw new OAuthException('invalid_request', 'username and password are required');
        }
        return this.grants.password(request.user, client, body.scope, requestContext(request));
      case 'refresh_token':
        if (!body.refresh_token) {
          throw new OAuthException('invalid_request', 'refresh_token is required');
        }
        return this.grants.refresh(body.refresh_token, client, body.scope, requestContext(request));
      case 'client_credentials':
        return this.grants.clientCredentials(client, body.scope, requestContext(request));
      default:
        throw new OAuthException('unsupported_grant_type', `Unsupported grant_type: ${grantType}`);
    }
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @OAuthEndpoint()
  @ApiOperation({
    summary: 'Revoke a token (RFC 7009); 200 for unknown tokens too',
    description:
      'A refresh token ends its whole session; an access token is refused until it expires.',
  })
  @ApiConsumes(...FORM_OR_JSON)
  @ApiOptionalClientAuth()
  @ApiOkResponse({ description: 'Revoked, or not a token of ours' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: INVALID_TOKEN_REFERENCE })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    description: 'invalid_client: wrong client credentials',
  })
  async revoke(@Body() body: TokenReferenceDto, @Req() request: FastifyRequest): Promise<void> {
    const client = await this.clients.authenticatePresented(request, body);
    const revoked = await this.inspection.revoke(body.token, body.token_type_hint);
    if (revoked) {
      await this.events.publish({
        type: 'token_revoked',
        userId: revoked.userId,
        clientId: revoked.clientId ?? client?.clientId,
        context: requestContext(request),
        detail: { tokenType: revoked.tokenType },
      });
    }
  }

  @Public()
  @Post('introspect')
  @HttpCode(200)
  @OAuthEndpoint()
  @ApiOperation({ summary: 'Introspect a token (RFC 7662); clients only' })
  @ApiConsumes(...FORM_OR_JSON)
  @ApiBasicAuth()
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: INVALID_TOKEN_REFERENCE })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    description: 'invalid_client: no or wrong client credentials',
  })
  async introspect(
    @Body() body: TokenReferenceDto,
    @Req() request: FastifyRequest,
  ): Promise<IntrospectionResponseDto> {
    if (!(await this.clients.authenticatePresented(request, body))) {
      throw invalidClient();
    }
    return this.inspection.introspect(body.token, body.token_type_hint);
  }
}
