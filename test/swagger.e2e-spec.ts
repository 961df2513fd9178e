import { basic, createClient } from './utils/oauth';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { ADMIN, bearer, login, startTestApp, TestApp } from './utils/test-app';

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
}

interface Content {
  [mediaType: string]: { schema?: Schema };
}

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: Schema }[];
  requestBody?: { content: Content };
  responses: Record<string, { description: string; content?: Content }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<
      string,
      { type: string; scheme?: string; flows?: { password?: { tokenUrl: string } } }
    >;
  };
}

const OAUTH_ENDPOINTS = ['/auth/token', '/auth/revoke', '/auth/introspect'];
const PROBLEM = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
};
const OAUTH_ERROR = {
  'application/json': { schema: { $ref: '#/components/schemas/OAuthErrorDto' } },
};
// Set apart from the default (15) so that the document is seen to follow the configuration.
const PASSWORD_MIN_LENGTH = 17;

describe('Swagger UI and the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenApiDocument;

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ path, method, operation })),
    );
  const protectedOperations = () =>
    operations().filter(({ operation }) =>
      (operation.security ?? []).some((requirement) => 'oauth2' in requirement),
    );
  const schema = (name: string) => document.components.schemas[name];
  const refTo = (name: string) => ({ $ref: `#/components/schemas/${name}` });

  /** The body Swagger UI's "Try it out" pre-fills: example, else default, else first enum value. */
  const swaggerUiSample = (name: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries(schema(name).properties ?? {}).map(([field, property]) => {
        const value = property.example ?? property.default ?? property.enum?.[0] ?? 'string';
        return [field, typeof value === 'string' ? value : JSON.stringify(value)];
      }),
    );

  beforeAll(async () => {
    t = await startTestApp({ PASSWORD_MIN_LENGTH: String(PASSWORD_MIN_LENGTH) });
    document = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http.get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('lets the /docs page load its own scripts and styles, and nothing from elsewhere', async () => {
    const page = await t.http.get('/docs').redirects(1).expect(200);
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).toContain("img-src 'self' data:");
    expect(policy).not.toContain('https:');
    expect(policy).not.toContain('font-src');

    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, ref]) => ref);
    expect(assets).toEqual(expect.arrayContaining(['./docs/swagger-ui-bundle.js']));
    for (const asset of assets) {
      const path = new URL(asset, 'http://portcullis.test/docs').pathname;
      expect({ path, status: (await t.http.get(path)).status }).toEqual({ path, status: 200 });
    }
    // Its stylesheet loads images only as data: URIs (img-src), and no fonts.
    const css = (await t.http.get('/docs/swagger-ui.css').expect(200)).text;
    const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)/g)].map(([, url]) => url);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => !url.startsWith('data:image/'))).toEqual([]);
    expect(css).not.toContain('@font-face');
  });

  it('declares an OAuth2 password flow whose token URL is /auth/token', () => {
    expect(document.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/auth/token' } },
    });
  });

  it("defines every security scheme an operation names (the clients' Basic one included)", () => {
    const named = new Set(
      operations()
        .flatMap(({ operation }) => operation.security ?? [])
        .flatMap((requirement) => Object.keys(requirement)),
    );
    expect([...named].sort()).toEqual(['basic', 'bearer', 'oauth2']);
    for (const name of named) {
      expect(document.components.securitySchemes[name]).toBeDefined();
    }
    expect(document.components.securitySchemes.basic).toMatchObject({
      type: 'http',
      scheme: 'basic',
    });
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      description: expect.stringContaining('personal access token (pat_...)') as string,
    });
  });

  it('documents every route, each protected one with oauth2 or a pasted bearer token and a 401', () => {
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
        expect(operation.security).toEqual([{ oauth2: [] }, { bearer: [] }]);
        expect(operation.responses['401']).toBeDefined();
      }
    }
  });

  it('documents client authentication as optional on /auth/token and /auth/revoke only', () => {
    expect(document.paths['/auth/token'].post.security).toEqual([{}, { basic: [] }]);
    expect(document.paths['/auth/revoke'].post.security).toEqual([{}, { basic: [] }]);
    expect(document.paths['/auth/introspect'].post.security).toEqual([{ basic: [] }]);
  });

  it('documents problem answers as application/problem+json, and OAuth errors as application/json', () => {
    expect(schema('ProblemDetailsDto').properties?.status).toMatchObject({ type: 'integer' });
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) {
          expect({ path, method, status, content: response.content }).toEqual({
            path,
            method,
            status,
            content: OAUTH_ENDPOINTS.includes(path) ? OAUTH_ERROR : PROBLEM,
          });
        }
      }
    }
  });

  it('answers problem+json where it documents it', async () => {
    const response = await t.http.get('/users/me').expect(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('documents 403 and 503 on every protected route', () => {
    expect(protectedOperations().length).toBeGreaterThan(15);
    for (const { path, method, operation } of protectedOperations()) {
      expect({ path, method, statuses: Object.keys(operation.responses) }).toEqual({
        path,
        method,
        statuses: expect.arrayContaining(['401', '403', '503']) as unknown,
      });
    }
  });

  it('answers a client_credentials token on a user route with the documented 403', async () => {
    const client = await createClient(t, await login(t, ADMIN));
    const issued = await t.http
      .post('/auth/token')
      .set(basic(client.clientId, client.clientSecret))
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const token = (issued.body as { access_token: string }).access_token;
    const response = await t.http.get('/users/me/sessions').set(bearer(token)).expect(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('documents UUID path ids as format uuid, with the 400 a malformed one gets', () => {
    for (const [path, method] of [
      ['/users/{id}', 'get'],
      ['/users/{id}', 'patch'],
      ['/users/{id}', 'delete'],
      ['/users/me/sessions/{id}', 'delete'],
    ]) {
      const operation = document.paths[path][method];
      expect({ path, method, id: operation.parameters?.find(({ name }) => name === 'id') }).toEqual(
        {
          path,
          method,
          id: {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string', format: 'uuid' },
          },
        },
      );
      expect({ path, method, has400: '400' in operation.responses }).toEqual({
        path,
        method,
        has400: true,
      });
    }
  });

  it('documents the OAuth endpoints’ 400 invalid_request and 503 temporarily_unavailable', () => {
    for (const path of OAUTH_ENDPOINTS) {
      const { responses } = document.paths[path].post;
      expect({ path, statuses: Object.keys(responses) }).toEqual({
        path,
        statuses: expect.arrayContaining(['400', '401', '503']) as unknown,
      });
      expect(responses['503'].description).toMatch(/^temporarily_unavailable/);
    }
  });

  it('documents 413 and 415 on every route that takes a body, with the detail it sends', async () => {
    const withBody = operations().filter(({ operation }) => operation.requestBody);
    expect(withBody.length).toBeGreaterThanOrEqual(9);
    for (const { path, method, operation } of withBody) {
      expect({ path, method, statuses: Object.keys(operation.responses) }).toEqual({
        path,
        method,
        statuses: expect.arrayContaining(['413', '415']) as unknown,
      });
    }

    const tooLarge = await t.http
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'x'.repeat(70 * 1024) }))
      .expect(413);
    expect(tooLarge.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(document.paths['/auth/register'].post.responses['413'].description).toBe(
      (tooLarge.body as { detail: string }).detail,
    );
    const unsupported = await t.http
      .post('/auth/token')
      .set('Content-Type', 'text/plain')
      .send('grant_type=password')
      .expect(415);
    expect(document.paths['/auth/token'].post.responses['415'].description).toBe(
      `invalid_request: ${(unsupported.body as { error_description: string }).error_description}`,
    );
  });

  it('documents what the health routes answer: a problem+json 503 for readiness only', () => {
    const live = document.paths['/health'].get.responses;
    const ready = document.paths['/health/ready'].get.responses;
    expect(Object.keys(live)).toEqual(['200']);
    expect(Object.keys(ready).sort()).toEqual(['200', '503']);
    expect(ready['503'].content).toEqual(PROBLEM);
    expect(live['200'].content).toEqual({
      'application/json': { schema: refTo('HealthCheckResponse') },
    });
  });

  it('documents limit and offset as integers with their bounds', () => {
    const query = (path: string, name: string) =>
      document.paths[path].get.parameters?.find((parameter) => parameter.name === name)?.schema;
    expect(query('/users', 'limit')).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 20,
    });
    expect(query('/users', 'offset')).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: 10000,
      default: 0,
    });
    expect(query('/audit', 'limit')).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 200,
      default: 50,
    });
    expect(document.components.schemas.Object).toBeUndefined();
  });

  it('documents the configured password length on new passwords, and none on passwords checked', () => {
    const bounds = { minLength: PASSWORD_MIN_LENGTH, maxLength: 128 };
    expect(schema('RegisterUserDto').properties?.password).toMatchObject(bounds);
    expect(schema('CreateUserDto').properties?.password).toMatchObject(bounds);
    expect(schema('ChangePasswordDto').properties?.newPassword).toMatchObject(bounds);
    expect(schema('ChangePasswordDto').properties?.currentPassword?.minLength).toBeUndefined();
    expect(schema('TokenRequestDto').properties?.password?.minLength).toBeUndefined();
  });

  it('documents emails as format email, and the profile fields that null clears as nullable', () => {
    for (const name of ['RegisterUserDto', 'UpdateProfileDto', 'UpdateUserDto']) {
      const { email, fullName } = schema(name).properties ?? {};
      expect({ name, email, fullName }).toMatchObject({
        name,
        email: { type: 'string', format: 'email', nullable: true },
        fullName: { type: 'string', nullable: true },
      });
    }
  });

  it('documents the members that are always present, possibly null, as required', () => {
    expect(schema('AuditEventResponse').required).toEqual(
      expect.arrayContaining(['userId', 'clientId', 'ip', 'userAgent']),
    );
  });

  it('documents token types as enums and seconds as integers', () => {
    const token = schema('TokenResponseDto').properties ?? {};
    const introspection = schema('IntrospectionResponseDto').properties ?? {};
    expect(token.token_type.enum).toEqual(['bearer']);
    expect(token.expires_in.type).toBe('integer');
    expect(introspection.token_type.enum).toEqual([
      'bearer',
      'refresh_token',
      'personal_access_token',
    ]);
    expect(introspection.exp.type).toBe('integer');
    expect(introspection.iat.type).toBe('integer');
  });

  it.each([
    ['/.well-known/jwks.json', 'JwksResponse'],
    ['/.well-known/oauth-authorization-server', 'AuthorizationServerMetadataResponse'],
  ])('documents the body %s answers', async (path, name) => {
    expect(document.paths[path].get.responses['200'].content).toEqual({
      'application/json': { schema: refTo(name) },
    });
    const body = (await t.http.get(path).expect(200)).body as Record<string, unknown>;
    const documented = schema(name);
    expect(Object.keys(body).sort()).toEqual(Object.keys(documented.properties ?? {}).sort());
    expect(Object.keys(body)).toEqual(expect.arrayContaining(documented.required ?? []));
  });

  it('documents JWKS keys with the members they have', async () => {
    const { keys } = (await t.http.get('/.well-known/jwks.json').expect(200)).body as {
      keys: Record<string, unknown>[];
    };
    const documented = schema('PublicJwkResponse');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(Object.keys(documented.properties ?? {})).toEqual(
        expect.arrayContaining(Object.keys(key)),
      );
      expect(Object.keys(key)).toEqual(expect.arrayContaining(documented.required ?? []));
    }
  });

  describe('"Try it out" with what Swagger UI pre-fills', () => {
    it('logs in with only the username and password changed, form or JSON', async () => {
      // Swagger UI sends the empty fields too ("Send empty value" is ticked for them).
      const body = { ...swaggerUiSample('TokenRequestDto'), ...ADMIN };
      expect(body).toMatchObject({ grant_type: 'password', client_id: '', client_secret: '' });

      await t.http
        .post('/auth/token')
        .type('form')
        .send(new URLSearchParams(body).toString())
        .expect(200);
      await t.http.post('/auth/token').send(body).expect(200);
    });

    it('revokes with only the token filled in', async () => {
      const body = { ...swaggerUiSample('TokenReferenceDto'), token: 'not-a-token-of-ours' };

      await t.http
        .post('/auth/revoke')
        .type('form')
        .send(new URLSearchParams(body).toString())
        .expect(200);
    });

    it('creates a plain user, and does not disable one, unless told to', () => {
      expect(schema('CreateUserDto').properties?.roles?.example).toEqual(['user']);
      expect(schema('UpdateUserDto').properties?.roles?.example).toEqual(['user']);
      expect(schema('UpdateUserDto').properties?.disabled?.example).toBe(false);
    });
  });

  it('works the way the Authorize button does: form login with Basic Og==, then GET /users/me', async () => {
    const authorized = await t.http
      .post('/auth/token')
      .set('Authorization', 'Basic Og==')
      .type('form')
      .send(
        `grant_type=password&username=${ADMIN.username}&password=${encodeURIComponent(ADMIN.password)}&scope=profile`,
      )
      .expect(200);
    const token = (authorized.body as { access_token: string }).access_token;
    const me = await t.http.get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ username: ADMIN.username, roles: ['admin', 'user'] });
  });

  it('takes a personal access token pasted under "bearer", as Swagger UI sends it', async () => {
    const session = await login(t, ADMIN);
    const { token } = await createPersonalAccessToken(t, session);

    const me = await t.http.get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ username: ADMIN.username });
  });
});
