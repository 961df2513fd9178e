import { OAuthException } from '../common/oauth.exception';

export const PROFILE_SCOPE = 'profile';
export const USER_SCOPES = [PROFILE_SCOPE];

/** A personal access token needs it, beside the admin role, on the admin routes. */
export const ADMIN_SCOPE = 'admin';
export const PERSONAL_ACCESS_TOKEN_SCOPES = [...USER_SCOPES, ADMIN_SCOPE];

/** RFC 6749 section 3.3: none requested means every allowed scope; else 400 unless all allowed. */
export function grantedScope(requested: string | undefined, allowed: readonly string[]): string {
  const scopes = [...new Set((requested ?? '').split(' ').filter(Boolean))];
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw new OAuthException('invalid_scope', `Scope not allowed: ${refused.join(' ')}`);
  }
  return (scopes.length > 0 ? scopes : allowed).join(' ');
}
