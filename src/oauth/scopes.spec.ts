import { OAuthException } from '../common/oauth.exception';
import { grantedScope, USER_SCOPES } from './scopes';

describe('grantedScope', () => {
  it.each([undefined, '', '  '])('grants every allowed scope when %j is requested', (requested) => {
    expect(grantedScope(requested, ['a', 'b'])).toBe('a b');
  });

  it('grants a requested subset, each scope once', () => {
    expect(grantedScope('b b', ['a', 'b'])).toBe('b');
  });

  it('refuses a scope outside the allowed ones with 400 invalid_scope', () => {
    const refusal = () => grantedScope('profile admin', USER_SCOPES);
    expect(refusal).toThrow(OAuthException);
    expect(refusal).toThrow('Scope not allowed: admin');
  });
});
