import { applyDecorators, Header } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBasicAuth, ApiSecurity, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import '../common/oauth-route';
import { UNAVAILABLE_DESCRIPTION } from '../common/api-problem-response.decorator';
import { OAuthErrorDto } from '../common/oauth-error.dto';

/** Marks an OAuth endpoint: RFC 6749 error bodies and, per section 5.1, responses never cached. */
export function OAuthEndpoint(): MethodDecorator {
  return applyDecorators(
    RouteConfig({ oauthErrors: true }),
    Header('Cache-Control', 'no-store'),
    Header('Pragma', 'no-cache'),
    ApiServiceUnavailableResponse({
      type: OAuthErrorDto,
      description: `temporarily_unavailable. ${UNAVAILABLE_DESCRIPTION}`,
    }),
  );
}

export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

/** Client authentication that may be left out: `{}` is the requirement of no credentials. */
export const ApiOptionalClientAuth = () => applyDecorators(ApiSecurity({}), ApiBasicAuth());
