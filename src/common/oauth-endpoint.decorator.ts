import { applyDecorators, Header } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { UNAVAILABLE_DESCRIPTION } from './api-problem-response.decorator';
import { OAuthErrorDto } from './oauth-error.dto';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on OAuth endpoints: their errors use RFC 6749 bodies instead of problem+json. */
    oauthErrors?: boolean;
  }
}

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
