import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { ADMIN, startTestApp } from './utils/test-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
}

describe('logs of the built app', () => {
  let database: TestDatabase;
  let app: BuiltApp;
  let lines: LogLine[];
  let log: string;
  const secrets: string[] = [];
  const requestId = `trace-${randomBytes(4).toString('hex')}`;

  const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });

  async function tokens(body: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await form('/auth/token', body, headers);
    expect(response.status).toBe(200);
    const pair = (await response.json()) as { access_token: string; refresh_token?: string };
    secrets.push(pair.access_token, ...(pair.refresh_token ? [pair.refresh_token] : []));
    return pair;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    // trace: the most a misconfigured deployment could write, and still no secret may appear.
    app = await startBuiltApp({ DATABASE_URL: database.url, LOG_LEVEL: 'trace' });
    try {
      const password = `redaction check passphrase ${randomBytes(6).toString('hex')}`;
      const username = `logs.${randomBytes(4).toString('hex')}`;
      secrets.push(password, ADMIN.password);
      const registered = await fetch(`${app.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect(registered.status).toBe(201);

      const admin = await tokens({ username: ADMIN.username, password: ADMIN.password });
      const client = await fetch(`${app.url}/clients`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${admin.access_token}`,
        },
        body: JSON.stringify({ name: 'log-check', scopes: ['orders:read'] }),
      });
      const { clientId, clientSecret } = (await client.json()) as {
        clientId: string;
        clientSecret: string;
      };
      secrets.push(clientSecret);

      const login = await tokens(
        { grant_type: 'password', username, password },
        { 'x-request-id': requestId },
      );
      const refreshed = await tokens({
        grant_type: 'refresh_token',
        refresh_token: login.refresh_token as string,
      });
      await tokens(
        { grant_type: 'client_credentials', scope: 'orders:read' },
        { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      );
      const wrong = await form('/auth/token', { username, password: `${password}!` });
      expect(wrong.ok).toBe(false);
      secrets.push(`${password}!`);
      const me = await fetch(`${app.url}/users/me?access_token=${refreshed.access_token}`, {
        headers: {
          authorization: `Bearer ${refreshed.access_token}`,
          cookie: `session=${clientSecret}`,
        },
      });
      expect(me.status).toBeLessThan(500);
      const introspected = await form('/auth/introspect', {
        token: refreshed.access_token,
        client_id: clientId,
        client_secret: clientSecret,
      });
      expect(introspected.status).toBe(200);
      for (const token of [refreshed.refresh_token as string, refreshed.access_token]) {
        expect((await form('/auth/revoke', { token })).status).toBe(200);
      }
    } finally {
      await stopBuiltApp(app);
      await database.drop();
    }
    log = app.stdout();
    lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
  });

  it('writes every line as JSON, Nest start-up lines included', () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          context: 'NestApplication',
          msg: expect.stringContaining('started'),
        }),
      ]),
    );
  });

  it('logs each request with its id, method, path and status', () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          req: expect.objectContaining({ id: requestId, method: 'POST', url: '/auth/token' }),
          res: { statusCode: 200 },
        }),
      ]),
    );
  });

  it('contains none of the passwords, tokens or client secrets that went through the service', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      // A JWT's signature alone would let nobody in, but its payload+signature pair would.
      expect(log).not.toContain(secret.split('.').pop());
    }
  });

  it('logs no request headers, query strings or bodies', () => {
    const requests = lines.flatMap((line) => (line.req ? [line.req] : []));
    expect(requests.length).toBeGreaterThanOrEqual(10);
    for (const request of requests) {
      expect(Object.keys(request).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
      expect(request.url).not.toContain('?');
    }
    expect(log).not.toMatch(/bearer |basic |session=/i);
  });
});

// Issue 5: pino-http middleware and an AsyncLocalStorage context per request cost a third of the
// throughput of a cheap route; requests are logged from a Fastify hook instead.
describe('request logging overhead', () => {
  it('installs no Nest middleware and enters no AsyncLocalStorage while serving requests', async () => {
    const middleware = jest.spyOn(FastifyAdapter.prototype, 'createMiddlewareFactory');
    const t = await startTestApp();
    const run = jest.spyOn(AsyncLocalStorage.prototype, 'run');
    const enterWith = jest.spyOn(AsyncLocalStorage.prototype, 'enterWith');
    try {
      await t.http.get('/users/me').expect(401);
      await t.http.post('/auth/token').type('form').send({ username: 'x', password: 'y' });

      expect(middleware).not.toHaveBeenCalled();
      expect(run).not.toHaveBeenCalled();
      expect(enterWith).not.toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
      await t.close();
    }
  });
});
