import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiProblemResponse } from '../../common/api-problem-response.decorator';
import { PERSONAL_ACCESS_KEY, SESSION_TOKENS_ONLY } from './token-scope.decorator';

/**
 * For what a leaked script token must not reach: credentials, second factor, new tokens. Only an
 * access token from a login calls the route; a personal access token gets 403 (TokenScopeGuard).
 */
export const SessionTokenOnly = () =>
  applyDecorators(
    SetMetadata(PERSONAL_ACCESS_KEY, SESSION_TOKENS_ONLY),
    ApiProblemResponse(
      403,
      'A personal access token cannot call this route (it needs an access token from a login), ' +
        "the account is disabled, or the token is a client's",
    ),
  );
