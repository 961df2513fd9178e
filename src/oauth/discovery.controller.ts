import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { appConfig } from '../config/app.config';
import { AuthorizationServerMetadataResponse } from './dto/authorization-server-metadata.response';
import { GRANT_TYPES } from './dto/token-request.dto';
import { Public } from '../auth/decorators/public.decorator';
import { USER_SCOPES } from './scopes';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];
// Public clients send their client_id alone.
const WITH_PUBLIC_CLIENTS = [...CLIENT_AUTH_METHODS, 'none'];

@ApiTags('discovery')
@Controller('.well-known')
export class DiscoveryController {
  constructor(@Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>) {}

  @Public()
  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ summary: 'Authorization server metadata (RFC 8414)' })
  @ApiOkResponse({ type: AuthorizationServerMetadataResponse })
  metadata(): AuthorizationServerMetadataResponse {
    const base = this.app.issuer.replace(/\/$/, '');
    return {
      issuer: this.app.issuer,
      token_endpoint: `${base}/auth/token`,
      revocation_endpoint: `${base}/auth/revoke`,
      introspection_endpoint: `${base}/auth/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: [...GRANT_TYPES],
      // REQUIRED by RFC 8414, and validators refuse an empty list; there is no authorization
      // endpoint, so `none` (no response type issues anything).
      response_types_supported: ['none'],
      scopes_supported: USER_SCOPES,
      token_endpoint_auth_methods_supported: WITH_PUBLIC_CLIENTS,
      revocation_endpoint_auth_methods_supported: WITH_PUBLIC_CLIENTS,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    };
  }
}
