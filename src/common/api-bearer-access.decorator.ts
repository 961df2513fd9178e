import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiOAuth2 } from '@nestjs/swagger';
import { ApiProblemResponse, UNAVAILABLE_DESCRIPTION } from './api-problem-response.decorator';

export const OAUTH2_SCHEME = 'oauth2';
export const BEARER_SCHEME = 'bearer';

export function ApiBearerAccess(options: { admin?: boolean } = {}) {
  // Every user route refuses a disabled account and a client_credentials token (PrincipalsService).
  const forbidden = options.admin
    ? "The caller is not an admin, the account is disabled, or the token is a client's"
    : "The account is disabled, or the token is a client's (client_credentials)";
  return applyDecorators(
    ApiOAuth2([], OAUTH2_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiProblemResponse(401, 'Missing, invalid or expired token'),
    ApiProblemResponse(403, forbidden),
    // Each request checks the token's revocation and the account's state.
    ApiProblemResponse(503, UNAVAILABLE_DESCRIPTION),
  );
}
