import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { OAuthErrorDto } from '../common/oauth-error.dto';
import { requestContext } from '../common/request-context';
import { ClientAuthentication, invalidClient } from './client-authentication';
import { IntrospectionResponseDto } from './dto/introspection-response.dto';
import { TokenReferenceDto } from './dto/token-reference.dto';
import { ApiOptionalClientAuth, FORM_OR_JSON, OAuthEndpoint } from './oauth-endpoint.decorator';
import { TokenIntrospectionService } from './token-introspection.service';
import { TokenRevocationService } from './token-revocation.service';

const INVALID_TOKEN_REFERENCE =
  'invalid_request: no token, or two client authentication methods at once';

@ApiTags('oauth')
@Controller('auth')
export class TokenInspectionController {
  constructor(
    private readonly clientAuthentication: ClientAuthentication,
    private readonly revocation: TokenRevocationService,
    private readonly introspection: TokenIntrospectionService,
  ) {}

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
    const client = await this.clientAuthentication.authenticate(request, body);
    await this.revocation.revoke(body.token, body.token_type_hint, client, requestContext(request));
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
    // RFC 7662 section 2.1: only a client that proved who it is; a public client proves nothing.
    const client = await this.clientAuthentication.authenticate(request, body);
    if (!client || client.public) {
      throw invalidClient();
    }
    return this.introspection.introspect(body.token, body.token_type_hint);
  }
}
