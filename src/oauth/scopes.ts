import { OAuthException } from '../common/oauth.exception';

export const USER_SCOPES = ['profile'];

/** RFC 6749 section 3.3: none requested means every allowed scope; else 400 unless all allowed. */
export function grantedScope(requested: string | undefined, allowed: readonly string[]): string {
  const scopes = [...new Set((requested ?? '').split(' ').filter(Boolean))];
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw new OAuthException('invalid_scope', `Scope not allowed: ${refused.join(' ')}`);
  }
  return (scopes.length > 0 ? scopes : allowed).join(' ');
}
