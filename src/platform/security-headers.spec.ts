import { securityHeaders, securityHeadersFor } from './security-headers';

describe('securityHeaders', () => {
  it("gives documents helmet's headers for this service's policy", () => {
    expect(securityHeaders().documents).toEqual({
      'content-security-policy':
        "default-src 'self';base-uri 'self';form-action 'self';frame-ancestors 'none';" +
        "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';" +
        "style-src 'self' 'unsafe-inline'",
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'DENY',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    });
  });

  it('gives API responses a policy that loads nothing and the headers that apply to them', () => {
    expect(securityHeaders().api).toEqual({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });

  it('cannot be changed by whoever uses it', () => {
    const headers = securityHeaders();

    expect(Object.isFrozen(headers.documents)).toBe(true);
    expect(Object.isFrozen(headers.api)).toBe(true);
  });
});

describe('securityHeadersFor', () => {
  const headers = securityHeaders();

  it.each(['/docs', '/docs/', '/docs/swagger-ui.css', '/docs?x=1', '/docs/index.html?x=1'])(
    'treats %s as part of Swagger UI',
    (url) => {
      expect(securityHeadersFor(headers, url)).toBe(headers.documents);
    },
  );

  it.each(['/docs-json', '/docsx', '/users/me', '/auth/token', '/', '/api/docs'])(
    'treats %s as an API response',
    (url) => {
      expect(securityHeadersFor(headers, url)).toBe(headers.api);
    },
  );
});
