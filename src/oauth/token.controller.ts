import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { OAuthErrorDto } from '../common/oauth-error.dto';
import { OAuthException } from '../common/oauth.exception';
import { requestContext } from '../common/request-context';
import { TokenBudgetGuard } from '../throttling/token-budget.guard';
import { ClientAuthentication } from './client-authentication';
import { GrantType, MFA_GRANT_TYPE, TokenRequestDto } from './dto/token-request.dto';
import { TokenResponseDto } from './dto/token-response.dto';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { MfaGrant } from './grants/mfa.grant';
import { PasswordGrant } from './grants/password.grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { TokenGrant } from './grants/token-grant';
import { ApiOptionalClientAuth, FORM_OR_JSON, OAuthEndpoint } from './oauth-endpoint.decorator';

@ApiTags('oauth')
@Controller('auth')
export class TokenController {
  private readonly grants: Record<GrantType, TokenGrant>;

  constructor(
    private readonly clientAuthentication: ClientAuthentication,
    password: PasswordGrant,
    refreshToken: RefreshTokenGrant,
    clientCredentials: ClientCredentialsGrant,
    mfa: MfaGrant,
  ) {
    this.grants = {
      password,
      refresh_token: refreshToken,
      client_credentials: clientCredentials,
      [MFA_GRANT_TYPE]: mfa,
    };
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @OAuthEndpoint()
  // The per-IP budget comes first, before the request costs a query or a hash.
  @UseGuards(TokenBudgetGuard)
  @ApiOperation({
    summary:
      'Issue tokens (RFC 6749): password (the default), refresh_token, client_credentials, and ' +
      'the second factor',
    description:
      'Clients authenticate with HTTP Basic or client_id/client_secret in the body; optional for ' +
      'the password and refresh grants. A refresh token can be used once: presenting it again ' +
      'revokes its whole session. For an account with a second factor, the right password ' +
      `answers 403 mfa_required with an mfa_token; then grant_type=${MFA_GRANT_TYPE} with ` +
      'mfa_token and otp (or recovery_code) answers the tokens.',
  })
  @ApiConsumes(...FORM_OR_JSON)
  @ApiOptionalClientAuth()
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description:
      'invalid_request, invalid_grant (also a wrong second-factor code, or a spent, expired or ' +
      "another client's mfa_token), invalid_scope, unauthorized_client, unsupported_grant_type",
  })
  @ApiUnauthorizedResponse({
    type: OAuthErrorDto,
    description: 'invalid_grant (wrong password, reused refresh token) or invalid_client',
  })
  @ApiForbiddenResponse({
    type: OAuthErrorDto,
    description:
      'access_denied: the account is disabled; mfa_required: the password was right and the ' +
      'account has a second factor (the body carries mfa_token, valid 5 minutes, single use)',
  })
  @ApiTooManyRequestsResponse({
    type: OAuthErrorDto,
    description:
      'slow_down: too many failures for this username, too many wrong codes for this account ' +
      'or IP, or too many requests from this IP; see Retry-After',
  })
  async token(
    @Body() body: TokenRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<TokenResponseDto> {
    const grantType = body.grant_type ?? 'password';
    const grant = Object.hasOwn(this.grants, grantType)
      ? this.grants[grantType as GrantType]
      : undefined;
    if (!grant) {
      throw new OAuthException('unsupported_grant_type', `Unsupported grant_type: ${grantType}`);
    }
    const client = await this.clientAuthentication.authenticate(request, body);
    return grant.issue({ body, client, request, context: requestContext(request) });
  }
}
