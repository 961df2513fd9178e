import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { IS_PUBLIC_KEY } from '../src/auth/decorators/public.decorator';
import {
  PERSONAL_ACCESS_KEY,
  PersonalAccess,
  SESSION_TOKENS_ONLY,
} from '../src/auth/decorators/token-scope.decorator';
import { PERSONAL_ACCESS_TOKEN_SCOPES } from '../src/oauth/scopes';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { ADMIN, bearer, login, startTestApp, TestApp } from './utils/test-app';

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
  /** What a personal access token needs to call it. */
  personalAccess?: PersonalAccess;
}

/** Every route the app serves, read from the controllers' own metadata rather than a hand list. */
function discoverRoutes(t: TestApp): Route[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const reflector = t.app.get(Reflector);
  return discovery.getControllers().flatMap(({ metatype }) => {
    if (!metatype) {
      return [];
    }
    const controllerPath = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    const prototype = metatype.prototype as Record<string, unknown>;
    return scanner.getAllMethodNames(prototype).flatMap((name) => {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) {
        return [];
      }
      const handlerPath = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[controllerPath, handlerPath].filter((part) => part && part !== '/').join('/')}`;
      const isPublic =
        reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, metatype]) === true;
      const personalAccess = reflector.getAllAndOverride<PersonalAccess | undefined>(
        PERSONAL_ACCESS_KEY,
        [handler, metatype],
      );
      return [
        {
          method: RequestMethod[method],
          path: path.replace(/\/+/g, '/'),
          isPublic,
          personalAccess,
        },
      ];
    });
  });
}

describe('closed by default', () => {
  let t: TestApp;
  let routes: Route[];

  beforeAll(async () => {
    t = await startTestApp({}, { imports: [DiscoveryModule] });
    routes = discoverRoutes(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('finds the routes of every controller (the enumeration itself works)', () => {
    const names = routes.map((route) => `${route.method} ${route.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /users/me',
        'DELETE /users/:id',
        'POST /auth/token',
        'GET /.well-known/jwks.json',
      ]),
    );
  });

  it('marks as public only the routes the contract opens to anyone', () => {
    const publicRoutes = routes
      .filter((route) => route.isPublic)
      .map((route) => `${route.method} ${route.path}`);
    expect(publicRoutes.sort()).toEqual([
      'GET /.well-known/jwks.json',
      'GET /.well-known/oauth-authorization-server',
      'GET /auth/password-reset',
      'GET /auth/verify-email',
      'GET /health',
      'GET /health/ready',
      'GET /metrics',
      'POST /auth/introspect',
      'POST /auth/password-reset',
      'POST /auth/password-reset/confirm',
      'POST /auth/register',
      'POST /auth/revoke',
      'POST /auth/token',
      'POST /auth/verify-email',
    ]);
  });

  it('answers every non-public route with 401 and a Bearer challenge when no token is sent', async () => {
    const closed = routes.filter((route) => !route.isPublic);
    expect(closed.length).toBeGreaterThanOrEqual(8);
    for (const route of closed) {
      const path = route.path.replace(/:[^/]+/g, randomUUID());
      const response = await t.http[route.method.toLowerCase() as 'get'](path).send({});
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
      });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="portcullis"');
    }
  });

  it('has every protected route declare the scope a personal access token needs, or refuse them all', () => {
    const closed = routes.filter((route) => !route.isPublic);
    for (const route of closed) {
      const { personalAccess } = route;
      const declared =
        personalAccess === SESSION_TOKENS_ONLY ||
        PERSONAL_ACCESS_TOKEN_SCOPES.includes(personalAccess as string);
      expect({ route: `${route.method} ${route.path}`, declared }).toEqual({
        route: `${route.method} ${route.path}`,
        declared: true,
      });
    }
    const sessionOnly = closed
      .filter((route) => route.personalAccess === SESSION_TOKENS_ONLY)
      .map((route) => `${route.method} ${route.path}`);
    expect(sessionOnly).toEqual(
      expect.arrayContaining(['POST /users/me/tokens', 'POST /users/me/password']),
    );
  });

  it("answers every protected route with 403 to a personal access token without the route's scope", async () => {
    // The admin holds every role, so only the token's scopes can refuse it.
    const session = await login(t, ADMIN);
    const tokens = new Map<string, string>();
    for (const scope of PERSONAL_ACCESS_TOKEN_SCOPES) {
      const others = PERSONAL_ACCESS_TOKEN_SCOPES.filter((other) => other !== scope);
      tokens.set(scope, (await createPersonalAccessToken(t, session, { scopes: others })).token);
    }
    const allScopes = (
      await createPersonalAccessToken(t, session, { scopes: PERSONAL_ACCESS_TOKEN_SCOPES })
    ).token;
    for (const route of routes.filter((candidate) => !candidate.isPublic)) {
      const { personalAccess } = route;
      const token =
        typeof personalAccess === 'string' ? (tokens.get(personalAccess) as string) : allScopes;
      const path = route.path.replace(/:[^/]+/g, randomUUID());
      const response = await t.http[route.method.toLowerCase() as 'get'](path)
        .set(bearer(token))
        .send({});
      expect({ route: `${route.method} ${route.path}`, status: response.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 403,
      });
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    // Nothing was done: the admin's session still works.
    await t.http.get('/users/me').set(bearer(session)).expect(200);
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const response = await t.http.get('/no/such/route').expect(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
