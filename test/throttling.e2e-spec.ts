import { captureLogs, CapturedLogs } from './utils/captured-logs';
import { EventEmitter2 } from '@nestjs/event-emitter';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { SECURITY_EVENT, SecurityEvent } from '../src/events/security-event';
import { PasswordHasher } from '../src/passwords/password-hasher.service';
import { ThrottleCounter } from '../src/throttling/entities/throttle-counter.entity';
import { ThrottleClock } from '../src/throttling/throttle-clock';
import { registerUser, startTestApp, TestApp, uniqueUsername } from './utils/test-app';

const INCORRECT = { error: 'invalid_grant', error_description: 'Incorrect username or password' };
const LOGIN_THROTTLED = {
  error: 'slow_down',
  error_description: 'Too many failed login attempts; try again later',
};
const BUDGET_EXCEEDED = {
  error: 'slow_down',
  error_description: 'Too many requests from this address; try again later',
};
const WRONG_PASSWORD = 'not the password at all, sorry';

const redisUrl = process.env.TEST_REDIS_URL;
const stores: Array<[string, string | undefined]> = [['database', undefined]];
if (redisUrl) {
  stores.push(['redis', redisUrl]);
}

let addressCounter = 0;
/** A client address no other test uses (198.18.0.0/15 is reserved for tests, RFC 2544). */
function newAddress(): string {
  addressCounter += 1;
  return `198.18.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
}

describe.each(stores)('throttling of POST /auth/token, counters in the %s', (store, redis) => {
  const prefixes = new Map<TestApp, string>();

  /** Each app gets its own Redis key prefix, so parallel test files never share counters. */
  async function start(env: Record<string, string | undefined> = {}): Promise<TestApp> {
    const prefix = `portcullis-e2e-${randomBytes(6).toString('hex')}:`;
    const t = await startTestApp({ REDIS_URL: redis, REDIS_KEY_PREFIX: prefix, ...env });
    prefixes.set(t, prefix);
    return t;
  }

  afterAll(async () => {
    await Promise.all([...prefixes.keys()].map((t) => t.close()));
    if (redis) {
      const client = new Redis(redis);
      for (const prefix of prefixes.values()) {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) {
          await client.del(...keys);
        }
      }
      await client.quit();
    }
  });

  /** Freezes the throttling clock of `t`; the returned function moves it forward. */
  function controlClock(t: TestApp): (ms: number) => void {
    let now = Date.now();
    jest.spyOn(t.app.get(ThrottleClock), 'now').mockImplementation(() => now);
    return (ms) => {
      now += ms;
    };
  }

  function attempt(t: TestApp, username: string, password: string, address?: string) {
    const request = t.http.post('/auth/token').type('form');
    if (address) {
      void request.set('X-Forwarded-For', address);
    }
    return request.send({ grant_type: 'password', username, password });
  }

  async function failTimes(
    t: TestApp,
    times: number,
    username: string,
    address?: string,
  ): Promise<void> {
    for (let failure = 0; failure < times; failure++) {
      await attempt(t, username, WRONG_PASSWORD, address).expect(401);
    }
  }

  const retryAfter = (response: Response): string | undefined => response.headers['retry-after'];

  describe('per username and client IP (TRUST_PROXY=true to simulate addresses)', () => {
    let t: TestApp;
    let advance: (ms: number) => void;

    beforeAll(async () => {
      t = await start({ TRUST_PROXY: 'true' });
    });

    beforeEach(() => {
      advance = controlClock(t);
    });

    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('answers 429 slow_down with Retry-After after 5 consecutive failures, and publishes it', async () => {
      const user = await registerUser(t);
      const address = newAddress();
      const events: SecurityEvent[] = [];
      const listener = (event: SecurityEvent): void => {
        events.push(event);
      };
      t.app.get(EventEmitter2).on(SECURITY_EVENT, listener);

      await failTimes(t, 5, user.username, address);
      const response = await attempt(t, user.username, WRONG_PASSWORD, address).expect(429);

      t.app.get(EventEmitter2).off(SECURITY_EVENT, listener);
      expect(response.body).toEqual(LOGIN_THROTTLED);
      expect(retryAfter(response)).toBe('30');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(events.filter((event) => event.detail?.reason === 'throttled')).toEqual([
        expect.objectContaining({
          type: 'login_failed',
          context: expect.objectContaining({ ip: address }),
          // Never the name typed: it may be a password typed into the wrong field.
          detail: { outcome: 'failure', reason: 'throttled' },
        }),
      ]);
    });

    it(`keeps the counters in the ${store}`, async () => {
      await attempt(t, uniqueUsername(), WRONG_PASSWORD, newAddress()).expect(401);
      const rows = await t.app.get(DataSource).getRepository(ThrottleCounter).count();
      if (redis) {
        const client = new Redis(redis);
        const keys = await client.keys(`${prefixes.get(t)}login:*`);
        await client.quit();
        expect(keys.length).toBeGreaterThan(0);
        expect(rows).toBe(0);
      } else {
        expect(rows).toBeGreaterThan(0);
      }
    });

    it('refuses even the right password while throttled, without verifying it', async () => {
      const user = await registerUser(t);
      const address = newAddress();
      await failTimes(t, 5, user.username, address);
      const hasher = t.app.get(PasswordHasher);
      const verify = jest.spyOn(hasher, 'verify');
      const verifyAgainstDummy = jest.spyOn(hasher, 'verifyAgainstDummy');

      const response = await attempt(t, user.username, user.password, address).expect(429);

      expect(response.body).toEqual(LOGIN_THROTTLED);
      expect(verify).not.toHaveBeenCalled();
      expect(verifyAgainstDummy).not.toHaveBeenCalled();
    });

    it('doubles the delay with each further failure, up to 15 minutes', async () => {
      const user = await registerUser(t);
      const address = newAddress();
      await failTimes(t, 5, user.username, address);
      const delays: string[] = [];
      for (let round = 0; round < 7; round++) {
        const refused = await attempt(t, user.username, WRONG_PASSWORD, address).expect(429);
        const seconds = retryAfter(refused) ?? '';
        delays.push(seconds);
        advance(Number(seconds) * 1000 - 1000);
        await attempt(t, user.username, WRONG_PASSWORD, address).expect(429);
        advance(1000);
        await attempt(t, user.username, WRONG_PASSWORD, address).expect(401);
      }
      expect(delays).toEqual(['30', '60', '120', '240', '480', '900', '900']);
    });

    it('starts counting afresh after a successful login', async () => {
      const user = await registerUser(t);
      const address = newAddress();
      await failTimes(t, 5, user.username, address);
      advance(30_000);
      await attempt(t, user.username, user.password, address).expect(200);

      await failTimes(t, 5, user.username, address);
      const response = await attempt(t, user.username, WRONG_PASSWORD, address).expect(429);
      expect(retryAfter(response)).toBe('30');
    });

    /** POST /users/me/password from `address`, with `token` of the user. */
    function changePassword(
      token: string,
      currentPassword: string,
      newPassword: string,
      address: string,
    ) {
      return t.http
        .post('/users/me/password')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', address)
        .send({ currentPassword, newPassword });
    }

    async function tokenFor(user: { username: string; password: string }): Promise<string> {
      const response = await attempt(t, user.username, user.password, newAddress()).expect(200);
      return (response.body as { access_token: string }).access_token;
    }

    it('counts a wrong current password at POST /users/me/password like a failed login', async () => {
      const user = await registerUser(t);
      const token = await tokenFor(user);
      const address = newAddress();
      const newPassword = 'an entirely new passphrase for this';
      for (let failure = 0; failure < 5; failure++) {
        const wrong = await changePassword(token, WRONG_PASSWORD, newPassword, address).expect(401);
        expect(wrong.headers['content-type']).toContain('application/problem+json');
      }
      // A stolen access token cannot guess the password faster here than at the token endpoint:
      // the right one is refused too while delayed, without being checked.
      const throttled = await changePassword(token, user.password, newPassword, address).expect(
        429,
      );
      expect(throttled.headers['content-type']).toContain('application/problem+json');
      expect(retryAfter(throttled)).toBe('30');
      // The same counters: the token endpoint is delayed for this username and address as well.
      await attempt(t, user.username, user.password, address).expect(429);

      advance(30_000);
      await changePassword(token, user.password, newPassword, address).expect(204);
      // The success cleared the counters.
      await failTimes(t, 5, user.username, address);
      await attempt(t, user.username, WRONG_PASSWORD, address).expect(429);

      const failures = await t.app
        .get(DataSource)
        .getRepository(AuditEvent)
        .findBy({ type: 'password_changed', userId: user.id });
      expect(failures.filter((event) => event.detail.outcome === 'failure')).toHaveLength(5);
    });

    it('does not count a refused new password: the current one was never checked', async () => {
      const user = await registerUser(t);
      const token = await tokenFor(user);
      const address = newAddress();
      for (let refusal = 0; refusal < 7; refusal++) {
        await changePassword(token, user.password, 'password', address).expect(400);
      }
      await changePassword(
        token,
        user.password,
        'an entirely new passphrase for this',
        address,
      ).expect(204);
    });

    it('throttles an unknown username exactly like a known one', async () => {
      const known = await registerUser(t);
      const unknown = uniqueUsername('nobody');
      const address = newAddress();
      const answers = async (username: string) => {
        const failures: unknown[] = [];
        for (let failure = 0; failure < 5; failure++) {
          const response = await attempt(t, username, WRONG_PASSWORD, address);
          failures.push([response.status, response.body]);
        }
        const refused = await attempt(t, username, WRONG_PASSWORD, address);
        return { failures, status: refused.status, body: refused.body, retry: retryAfter(refused) };
      };

      const forKnown = await answers(known.username);
      const forUnknown = await answers(unknown);

      expect(forKnown.failures).toEqual(Array.from({ length: 5 }, () => [401, INCORRECT]));
      expect(forUnknown).toEqual(forKnown);
      expect(forUnknown.status).toBe(429);
      expect(forUnknown.retry).toBe('30');
    });

    it('counts username case variants against one counter', async () => {
      const user = await registerUser(t);
      const address = newAddress();
      const variants = [
        user.username.toUpperCase(),
        user.username,
        `U${user.username.slice(1)}`,
        user.username.toUpperCase(),
        user.username,
      ];
      for (const variant of variants) {
        await attempt(t, variant, WRONG_PASSWORD, address).expect(401);
      }
      await attempt(
        t,
        `${user.username.slice(0, 3).toUpperCase()}${user.username.slice(3)}`,
        user.password,
        address,
      ).expect(429);
    });

    it('leaves the same username from another client IP unaffected', async () => {
      const user = await registerUser(t);
      const attacker = newAddress();
      await failTimes(t, 5, user.username, attacker);
      await attempt(t, user.username, WRONG_PASSWORD, attacker).expect(429);

      const other = newAddress();
      await attempt(t, user.username, WRONG_PASSWORD, other).expect(401);
      await attempt(t, user.username, user.password, other).expect(200);
    });
  });

  describe('per account, whatever the IPs (ceiling lowered to 8 for the test)', () => {
    // Every failure comes from a new address, so the per-pair delay (after 3 here) never applies.
    let t: TestApp;
    let advance: (ms: number) => void;

    beforeAll(async () => {
      t = await start({
        TRUST_PROXY: 'true',
        LOGIN_FAILURES_BEFORE_DELAY: '3',
        ACCOUNT_FAILURE_CEILING: '8',
      });
    });

    beforeEach(() => {
      advance = controlClock(t);
    });

    afterEach(() => {
      jest.restoreAllMocks();
    });

    it('delays every IP after the ceiling of consecutive failures, for at most a minute each time', async () => {
      const user = await registerUser(t);
      for (let failure = 0; failure < 8; failure++) {
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
      }
      const refused = await attempt(t, user.username, user.password, newAddress()).expect(429);
      expect(refused.body).toEqual(LOGIN_THROTTLED);
      expect(retryAfter(refused)).toBe('30');

      const delays: string[] = [];
      for (let round = 0; round < 3; round++) {
        advance(Number(retryAfter(refused) ?? 0) * 1000 + 60_000);
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
        const next = await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(429);
        delays.push(retryAfter(next) ?? '');
      }
      expect(delays).toEqual(['60', '60', '60']);
    });

    it('lets the owner back in once the delay is over, and the success resets the count', async () => {
      const user = await registerUser(t);
      for (let failure = 0; failure < 8; failure++) {
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
      }
      const home = newAddress();
      await attempt(t, user.username, user.password, home).expect(429);
      advance(30_000);
      await attempt(t, user.username, user.password, home).expect(200);

      for (let failure = 0; failure < 8; failure++) {
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
      }
      await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(429);
    });

    it('does not count the refusals during the delay against the owner’s own address', async () => {
      const user = await registerUser(t);
      for (let failure = 0; failure < 8; failure++) {
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
      }
      const home = newAddress();
      for (let refusal = 0; refusal < 6; refusal++) {
        await attempt(t, user.username, user.password, home).expect(429);
      }
      advance(30_000);
      await attempt(t, user.username, user.password, home).expect(200);
    });
  });

  describe('per client IP budget (3 a minute for the test), TRUST_PROXY unset', () => {
    let t: TestApp;
    let advance: (ms: number) => void;

    beforeAll(async () => {
      t = await start({ TOKEN_REQUESTS_PER_MINUTE: '3' });
      advance = controlClock(t);
    });

    afterAll(() => {
      jest.restoreAllMocks();
    });

    it('answers 429 with Retry-After to the request over the budget, whatever the grant, until the minute is over', async () => {
      const user = await registerUser(t);
      await attempt(t, user.username, user.password).expect(200);
      await t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: 'not-a-token' })
        .expect((response) => expect(response.status).not.toBe(429));
      await t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect((response) => expect(response.status).not.toBe(429));

      const refused = await attempt(t, user.username, user.password).expect(429);
      expect(refused.body).toEqual(BUDGET_EXCEEDED);
      const seconds = Number(retryAfter(refused));
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
      // Rotating X-Forwarded-For does not buy a new budget when no proxy is trusted.
      await attempt(t, user.username, user.password, newAddress()).expect(429);

      advance(seconds * 1000);
      await attempt(t, user.username, user.password).expect(200);
    });
  });

  describe('per client IP budget at its default', () => {
    let t: TestApp;

    beforeAll(async () => {
      // test-app.ts raises the budget for the other test files; this app has the real one.
      t = await start({ TOKEN_REQUESTS_PER_MINUTE: undefined });
      controlClock(t);
    });

    afterAll(() => {
      jest.restoreAllMocks();
    });

    it('allows 60 token requests a minute from one address and refuses the 61st', async () => {
      const statuses: number[] = [];
      for (let request = 0; request < 61; request++) {
        const response = await t.http
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'client_credentials' });
        statuses.push(response.status);
      }
      expect(statuses.slice(0, 60).filter((status) => status === 429)).toEqual([]);
      expect(statuses[60]).toBe(429);
    });
  });

  describe('client IP without TRUST_PROXY', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await start();
    });

    it('ignores X-Forwarded-For, so rotating it does not escape the per-IP counter', async () => {
      const user = await registerUser(t);
      for (let failure = 0; failure < 5; failure++) {
        await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(401);
      }
      const response = await attempt(t, user.username, WRONG_PASSWORD, newAddress()).expect(429);
      expect(response.body).toEqual(LOGIN_THROTTLED);
    });
  });
});

/** pino's level of error lines. */
const ERROR = 50;

describe('throttling when Redis cannot be reached', () => {
  let t: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs();
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });

  afterAll(async () => {
    await t.close();
    logs.release();
  });

  it('answers 503 temporarily_unavailable instead of skipping the limits, and logs why', async () => {
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: 'ada', password: WRONG_PASSWORD })
      .expect(503);
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(logs.lines(ERROR).map((line) => line.context)).toContain('Throttling');
    expect(JSON.stringify(logs.lines())).not.toContain(WRONG_PASSWORD);
  });
});

describe('throttling when Redis holds the connection but never answers', () => {
  let t: TestApp;
  let silent: Server;
  let logs: CapturedLogs;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    logs = captureLogs();
    // Accepts connections and reads what it is sent, answering nothing: a hung Redis.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
    });
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    const { port } = silent.address() as AddressInfo;
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await t.close();
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise((closed) => silent.close(closed));
    logs.release();
  });

  it('answers 503 temporarily_unavailable within seconds instead of waiting', async () => {
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .timeout(10000)
      .send({ grant_type: 'password', username: 'ada', password: WRONG_PASSWORD })
      .expect(503);
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(logs.lines(ERROR).some((line) => /timed out/.test(line.msg ?? ''))).toBe(true);
  });
});
