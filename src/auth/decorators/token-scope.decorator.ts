import { SetMetadata } from '@nestjs/common';

export const PERSONAL_ACCESS_KEY = 'personalAccess';

/** The route's value of PERSONAL_ACCESS_KEY when no personal access token may call it. */
export const SESSION_TOKENS_ONLY = Symbol('sessionTokensOnly');

export type PersonalAccess = string | typeof SESSION_TOKENS_ONLY;

/**
 * A personal access token calls the route only if it carries `scope` (TokenScopeGuard); a session
 * access token is not concerned. Every protected route declares this or @SessionTokenOnly().
 */
export const TokenScope = (scope: string) => SetMetadata(PERSONAL_ACCESS_KEY, scope);
