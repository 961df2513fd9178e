import { captureLogs, CapturedLogs } from './utils/captured-logs';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { passwordGrant, refreshGrant } from './utils/oauth';
import { TcpProxy } from './utils/tcp-proxy';
import { createTestDatabase, TestDatabase } from './utils/test-database';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

/** The value of one sample in Prometheus text, e.g. `portcullis_logins_total{outcome="success"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        (candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `)) &&
        wanted.every((pair) => candidate.includes(pair)),
    );
  if (line === undefined) {
    throw new Error(`no sample ${name} ${wanted.join(',')}`);
  }
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  const scrape = async () => {
    const response = await t.http.get('/metrics').expect(200);
    return response.text;
  };

  describe('health', () => {
    it('answers GET /health with 200 and no token, checking no dependency', async () => {
      const response = await t.http.get('/health').expect(200);

      expect(response.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    });

    it('answers GET /health/ready with 200 when the database answers', async () => {
      const response = await t.http.get('/health/ready').expect(200);

      expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });
  });

  describe('metrics', () => {
    it('serves Prometheus text without a token, with the default process metrics', async () => {
      const response = await t.http.get('/metrics').expect(200);

      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.text).toContain('# TYPE process_cpu_user_seconds_total counter');
      expect(response.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    });

    it('counts logins by outcome, tokens issued by grant, and refresh reuse', async () => {
      const before = await scrape();
      const user = await registerUser(t);
      const disabled = await registerUser(t);
      const admin = await login(t, ADMIN);
      await t.http
        .patch(`/users/${disabled.id}`)
        .set(bearer(admin))
        .send({ disabled: true })
        .expect(200);

      const pair = await passwordGrant(t, credentialsOf(user));
      await t.http
        .post('/auth/token')
        .type('form')
        .send({ username: user.username, password: 'not the password at all' });
      await t.http.post('/auth/token').type('form').send(credentialsOf(disabled));
      await refreshGrant(t, pair.refresh_token).expect(200);
      const replay = await refreshGrant(t, pair.refresh_token);
      expect(replay.body).toMatchObject({ error: 'invalid_grant' });
      const after = await scrape();

      const grew = (name: string, labels: Record<string, string> = {}) =>
        sample(after, name, labels) - sample(before, name, labels);
      expect(grew('portcullis_logins_total', { outcome: 'success' })).toBe(2);
      expect(grew('portcullis_logins_total', { outcome: 'credentials' })).toBe(1);
      expect(grew('portcullis_logins_total', { outcome: 'disabled' })).toBe(1);
      expect(grew('portcullis_tokens_issued_total', { grant: 'password' })).toBe(2);
      expect(grew('portcullis_tokens_issued_total', { grant: 'refresh_token' })).toBe(1);
      expect(grew('portcullis_refresh_reuse_detected_total')).toBe(1);
    });

    it('records request latency by route pattern and status, never by raw URL', async () => {
      const admin = await login(t, ADMIN);
      const id = randomUUID();
      await t.http.get(`/users/${id}`).set(bearer(admin)).expect(404);
      const text = await scrape();

      const labels = { method: 'GET', route: '/users/:id', status_code: '404' };
      expect(sample(text, 'http_request_duration_seconds_count', labels)).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(
        sample(text, 'http_request_duration_seconds_count', labels),
      );
      expect(text).not.toContain(id);
    });

    it('exposes the argon2 queue depth and the concurrency cap (pool size 4 minus one)', async () => {
      const text = await scrape();

      expect(sample(text, 'portcullis_argon2_queue_depth')).toBe(0);
      expect(sample(text, 'portcullis_argon2_max_concurrency')).toBe(3);
      expect(text).toContain('# TYPE portcullis_throttled_requests_total counter');
    });
  });

  describe('request ids', () => {
    it('generates a UUID and returns it as X-Request-Id when the client sends none', async () => {
      const response = await t.http.get('/health').expect(200);

      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('keeps a well-formed incoming X-Request-Id, on errors too', async () => {
      const ok = await t.http.get('/health').set('X-Request-Id', 'edge-42.a:b').expect(200);
      const missing = await t.http.get('/no/such/route').set('X-Request-Id', 'edge-43').expect(404);

      expect(ok.headers['x-request-id']).toBe('edge-42.a:b');
      expect(missing.headers['x-request-id']).toBe('edge-43');
    });

    it.each([
      ['spaces and quotes', 'a "forged" id'],
      ['more than 128 characters', 'x'.repeat(129)],
    ])('replaces an incoming X-Request-Id with %s', async (_name, incoming) => {
      const response = await t.http.get('/health').set('X-Request-Id', incoming).expect(200);

      expect(response.headers['x-request-id']).toMatch(UUID);
    });
  });

  describe('HTTP hardening', () => {
    it('sends security headers and no X-Powered-By', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);

      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringContaining('max-age='),
        'cross-origin-resource-policy': 'same-origin',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    });

    it('keeps the browser-document headers for Swagger UI, not for API answers or errors', async () => {
      const page = await t.http.get('/docs').expect(200);
      const missing = await t.http.get('/no/such/route').expect(404);

      expect(page.headers).toMatchObject({
        'cross-origin-opener-policy': 'same-origin',
        'x-frame-options': 'DENY',
        'x-xss-protection': '0',
      });
      expect(missing.headers).toMatchObject({
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      });
      expect(missing.headers['cross-origin-opener-policy']).toBeUndefined();
    });

    it('serves Swagger UI under a CSP that allows its own scripts and styles and nothing inline', async () => {
      const page = await t.http.get('/docs').expect(200);
      const csp = page.headers['content-security-policy'];

      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp).not.toContain('upgrade-insecure-requests');
      const scripts = [...page.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src="\.\/docs\//);
        expect(body.trim()).toBe('');
      }
      await t.http.get('/docs/swagger-ui-init.js').expect(200);
      await t.http.get('/docs/swagger-ui-bundle.js').expect(200);
    });

    it('grants no cross-origin access when CORS_ORIGINS is unset', async () => {
      const preflight = await t.http
        .options('/users/me')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'GET');
      const simple = await t.http.get('/health').set('Origin', 'https://app.example.com');

      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers an unsupported content type with 415 problem+json', async () => {
      const response = await t.http
        .post('/auth/register')
        .set('Content-Type', 'text/plain')
        .send('username=x')
        .expect(415);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    });

    it('answers an unsupported content type on the token endpoint with an RFC 6749 body', async () => {
      const response = await t.http
        .post('/auth/token')
        .set('Content-Type', 'application/xml')
        .send('<grant_type>password</grant_type>')
        .expect(415);

      expect(response.body).toMatchObject({ error: 'invalid_request' });
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['malformed JSON', 400, 'application/json', '{"username":"ada","password":"hunter2" x}'],
      ['an empty JSON body', 400, 'application/json', ''],
      [
        'a body over 64 KiB',
        413,
        'application/json',
        JSON.stringify({ p: 'hunter2 '.repeat(9000) }),
      ],
      ['an unknown content type', 415, 'text/x-hunter2', 'hunter2'],
    ])(
      "answers %s with the service's fixed text (%i), never Fastify's message",
      async (_label, status, type, body) => {
        const details: Record<number, string> = {
          400: 'The request body could not be parsed',
          413: 'The request body is larger than the 64 KiB limit',
          415: 'The request body has an unsupported content type',
        };
        const response = await t.http
          .post('/auth/register')
          .set('Content-Type', type)
          .send(body)
          .expect(status);

        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.body).toEqual({
          type: 'about:blank',
          title: STATUS_CODES[status],
          status,
          detail: details[status],
        });
        expect(response.text).not.toContain('hunter2');
      },
    );

    it.each([
      [
        'malformed percent-encoding',
        '/users/%ZZ',
        400,
        'The URL is not valid: malformed percent-encoding',
      ],
      [
        'an over-long path parameter',
        `/users/${'a'.repeat(101)}`,
        414,
        'A path parameter is too long',
      ],
    ])(
      'answers a URL with %s as problem+json with the usual headers, before any route',
      async (_label, url, status, detail) => {
        const response = await t.http.get(url).expect(status);

        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.body).toEqual({
          type: 'about:blank',
          title: STATUS_CODES[status],
          status,
          detail,
        });
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['content-security-policy']).toContain("default-src 'none'");
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      },
    );

    it('still refuses a body over 64 KiB with 413', async () => {
      await t.http
        .post('/auth/register')
        .send({ username: 'big', password: 'x'.repeat(65 * 1024) })
        .expect(413);
    });
  });

  describe('readiness with REDIS_URL set to a server that does not answer', () => {
    let withRedis: TestApp;
    let logs: CapturedLogs;

    beforeAll(async () => {
      logs = captureLogs();
      withRedis = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
    });

    afterAll(async () => {
      await withRedis.close();
      logs.release();
    });

    it('answers /health/ready with 503 problem+json naming Redis, and /health with 200', async () => {
      const ready = await withRedis.http.get('/health/ready').expect(503);
      expect(logs.lines(50).some((line) => /Health Check has failed/.test(line.msg ?? ''))).toBe(
        true,
      );

      expect(ready.headers['content-type']).toContain('application/problem+json');
      expect(ready.body).toMatchObject({ status: 503, detail: 'Not ready: redis unavailable' });
      await withRedis.http.get('/health').expect(200);
    });
  });

  if (process.env.TEST_REDIS_URL) {
    describe('readiness with a reachable Redis', () => {
      let withRedis: TestApp;

      beforeAll(async () => {
        withRedis = await startTestApp({ REDIS_URL: process.env.TEST_REDIS_URL });
      });

      afterAll(async () => {
        await withRedis.close();
      });

      it('answers /health/ready with 200 and both checks up', async () => {
        const ready = await withRedis.http.get('/health/ready').expect(200);

        expect(ready.body).toMatchObject({
          status: 'ok',
          info: { database: { status: 'up' }, redis: { status: 'up' } },
        });
      });
    });
  }

  // SQLite is a file in the process: it cannot become unreachable the way a server can.
  if (process.env.E2E_DATABASE === 'postgres') {
    describe('when PostgreSQL becomes unreachable', () => {
      let database: TestDatabase;
      let proxy: TcpProxy;
      let down: TestApp;
      let logs: CapturedLogs;

      beforeAll(async () => {
        logs = captureLogs();
        database = await createTestDatabase();
        const url = new URL(database.url);
        proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
        await proxy.open();
        url.host = `127.0.0.1:${proxy.port}`;
        down = await startTestApp({ DATABASE_URL: url.toString() });
      });

      afterAll(async () => {
        await proxy.open();
        await down.close();
        await proxy.cut();
        await database.drop();
        logs.release();
      });

      it('fails closed with 503 while it is down, and recovers without a restart', async () => {
        const user = await registerUser(down);
        const pair = await passwordGrant(down, credentialsOf(user));
        const keysBefore = (await down.http.get('/.well-known/jwks.json').expect(200))
          .body as unknown;
        await proxy.cut();

        const token = await down.http.post('/auth/token').type('form').send(credentialsOf(user));
        expect(token.status).toBe(503);
        expect(token.body).toEqual({
          error: 'temporarily_unavailable',
          error_description: expect.any(String),
        });
        expect(token.headers['retry-after']).toBe('5');
        const revoke = await down.http
          .post('/auth/revoke')
          .type('form')
          .send({ token: pair.refresh_token });
        expect(revoke.status).toBe(503);
        expect(revoke.body).toMatchObject({ error: 'temporarily_unavailable' });
        const me = await down.http.get('/users/me').set(bearer(pair.access_token));
        expect(me.status).toBe(503);
        expect(me.headers['content-type']).toContain('application/problem+json');
        const ready = await down.http.get('/health/ready').expect(503);
        expect(ready.body).toMatchObject({ detail: 'Not ready: database unavailable' });
        await down.http.get('/health').expect(200);
        // Peers still get the keys, which still verify, but may not cache them.
        const jwks = await down.http.get('/.well-known/jwks.json').expect(200);
        expect(jwks.headers['cache-control']).toBe('public, max-age=0');
        expect(jwks.body).toEqual(keysBefore);

        await proxy.open();
        await down.http.get('/health/ready').expect(200);
        await passwordGrant(down, credentialsOf(user));
        await down.http
          .post('/auth/revoke')
          .type('form')
          .send({ token: pair.refresh_token })
          .expect(200);
        const spent = await refreshGrant(down, pair.refresh_token);
        expect(spent.body).toMatchObject({ error: 'invalid_grant' });
        // Logged as the database's unavailability, and never with a credential.
        expect(logs.lines(40).some((line) => /Database unavailable/.test(line.msg ?? ''))).toBe(
          true,
        );
        expect(
          logs.lines(40).some((line) => /^Serving the signing keys/.test(line.msg ?? '')),
        ).toBe(true);
        expect(JSON.stringify(logs.lines())).not.toContain(pair.refresh_token);
      });
    });
  }

  describe('with CORS_ORIGINS, METRICS_ENABLED=false and REQUEST_TIMEOUT=1', () => {
    let tuned: TestApp;

    beforeAll(async () => {
      tuned = await startTestApp(
        {
          CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
          METRICS_ENABLED: 'false',
          REQUEST_TIMEOUT: '1',
        },
        { listen: true },
      );
    });

    afterAll(async () => {
      await tuned.close();
    });

    it('answers a preflight from a listed origin, allowing the Authorization header', async () => {
      const response = await tuned.http
        .options('/users/me')
        .set('Origin', 'http://localhost:5173')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');

      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(response.headers['access-control-allow-headers']).toMatch(/authorization/i);
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('exposes X-Request-Id to a listed origin and nothing to another', async () => {
      const listed = await tuned.http.get('/health').set('Origin', 'https://app.example.com');
      const other = await tuned.http.get('/health').set('Origin', 'https://evil.example.com');

      expect(listed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(listed.headers['access-control-expose-headers']).toMatch(/X-Request-Id/i);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers /metrics with 404 when metrics are disabled', async () => {
      await tuned.http.get('/metrics').expect(404);
    });

    const openSocket = (port: number, bytes: string) => {
      const socket = connect(port, '127.0.0.1');
      const started = Date.now();
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', () => undefined);
      socket.write(bytes);
      return new Promise<{ answer: string; closedAfter: number }>((resolve) =>
        socket.on('close', () => resolve({ answer, closedAfter: Date.now() - started })),
      );
    };

    it('answers 408 and closes a connection whose headers stop arriving (slowloris)', async () => {
      const port = Number(new URL(tuned.url as string).port);

      const { answer, closedAfter } = await openSocket(
        port,
        'POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Le',
      );

      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(answer).toMatch(/x-content-type-options: nosniff/i);
      expect(closedAfter).toBeGreaterThanOrEqual(900);
      expect(closedAfter).toBeLessThan(10000);
    });

    it('answers 408 at REQUEST_TIMEOUT to a body that stops arriving, and closes the connection', async () => {
      const port = Number(new URL(tuned.url as string).port);
      const head = 'POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

      const { answer, closedAfter } = await openSocket(
        port,
        `${head}Content-Length: 100\r\n\r\n{"a":`,
      );

      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(answer).toContain('"detail":"The request did not arrive within the request timeout"');
      expect(closedAfter).toBeGreaterThanOrEqual(900);
      // The connection timeout (twice REQUEST_TIMEOUT) would close it without an answer.
      expect(closedAfter).toBeLessThan(1900);
    });

    it('answers headers over the size limit with 431 problem details and the security headers', async () => {
      const port = Number(new URL(tuned.url as string).port);

      const { answer } = await openSocket(
        port,
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );

      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(answer).toMatch(/x-frame-options: DENY/i);
      expect(answer).toMatch(/x-request-id: \S+/i);
      expect(answer).toContain('"status":431');
    });
  });
});
