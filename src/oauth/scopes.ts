import { OAuthException } from '../common/oauth.exception';

/** Scopes a user's token may carry; the only one for now, and the default. */
export const USER_SCOPES = ['profile'];

/**
 * The scope to grant: the requested scopes when all of them are allowed, every allowed scope
 * when none is requested (RFC 6749 section 3.3), else 400 invalid_scope.
 */
export function grantedScope(requested: string | undefined, allowed: readonly string[]): string {
  const scopes = [...new Set((requested ?? '').split(' ').filter(Boolean))];
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw new OAuthException('invalid_scope', `Scope not allowed: ${refused.join(' ')}`);
  }
  return (scopes.length > 0 ? scopes : allowed).join(' ');
}
