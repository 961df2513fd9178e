import { ADMIN, startTestApp, TestApp } from './utils/test-app';

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>
  >;
  components: {
    securitySchemes: Record<
      string,
      { type: string; scheme?: string; flows?: { password?: { tokenUrl: string } } }
    >;
  };
}

describe('Swagger UI and the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http.get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('declares an OAuth2 password flow whose token URL is /auth/token', () => {
    expect(document.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/auth/token' } },
    });
  });

  it("defines every security scheme an operation names (the clients' Basic one included)", () => {
    const named = new Set(
      Object.values(document.paths)
        .flatMap((operations) => Object.values(operations))
        .flatMap((operation) => operation.security ?? [])
        .flatMap((requirement) => Object.keys(requirement)),
    );
    expect([...named].sort()).toEqual(['basic', 'oauth2']);
    for (const name of named) {
      expect(document.components.securitySchemes[name]).toBeDefined();
    }
    expect(document.components.securitySchemes.basic).toMatchObject({
      type: 'http',
      scheme: 'basic',
    });
  });

  it('documents every route, each protected one with the oauth2 scheme and a 401', () => {
    const expected: [string, string, boolean][] = [
      ['/auth/token', 'post', false],
      ['/auth/register', 'post', false],
      ['/.well-known/jwks.json', 'get', false],
      ['/users/me', 'get', true],
      ['/users/me', 'patch', true],
      ['/users/me/password', 'post', true],
      ['/users', 'get', true],
      ['/users', 'post', true],
      ['/users/{id}', 'get', true],
      ['/users/{id}', 'patch', true],
      ['/users/{id}', 'delete', true],
      ['/auth/revoke', 'post', false],
      ['/auth/introspect', 'post', false],
      ['/.well-known/oauth-authorization-server', 'get', false],
      ['/users/me/sessions', 'get', true],
      ['/users/me/sessions', 'delete', true],
      ['/users/me/sessions/{id}', 'delete', true],
      ['/clients', 'get', true],
      ['/clients', 'post', true],
      ['/clients/{clientId}', 'delete', true],
      ['/keys/rotate', 'post', true],
    ];
    for (const [path, method, protectedRoute] of expected) {
      const operation = document.paths[path]?.[method];
      expect({ path, method, documented: operation !== undefined }).toEqual({
        path,
        method,
        documented: true,
      });
      if (protectedRoute) {
        expect(operation.security).toEqual([{ oauth2: [] }]);
        expect(operation.responses['401']).toBeDefined();
      }
    }
  });

  it('works the way the Authorize button does: form login with Basic Og==, then GET /users/me', async () => {
    const login = await t.http
      .post('/auth/token')
      .set('Authorization', 'Basic Og==')
      .type('form')
      .send(
        `grant_type=password&username=${ADMIN.username}&password=${encodeURIComponent(ADMIN.password)}&scope=profile`,
      )
      .expect(200);
    const token = (login.body as { access_token: string }).access_token;
    const me = await t.http.get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ username: ADMIN.username, roles: ['admin', 'user'] });
  });
});
