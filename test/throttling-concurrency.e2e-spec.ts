import type { Response } from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { PasswordHasher } from '../src/passwords/password-hasher.service';
import { IN_FLIGHT_LEASE_MS, IN_FLIGHT_WAIT_MS } from '../src/throttling/failure-counters';
import { loginKeys } from '../src/throttling/login-throttle.service';
import { ThrottleClock } from '../src/throttling/throttle-clock';
import { ThrottleStore } from '../src/throttling/throttle-store';
import { registerUser, TestApp, uniqueUsername } from './utils/test-app';
import {
  freezeThrottleClocks,
  newAddress,
  passwordAttempt,
  ThrottledApps,
  throttleStores,
} from './utils/throttled-apps';

const WRONG_PASSWORD = 'not the password at all, sorry';
const THRESHOLD = 5;

/** Every password check, whether against an account's hash or the dummy one. */
const countChecks = (...apps: TestApp[]) =>
  apps.map((t) => jest.spyOn(t.app.get(PasswordHasher), 'verify'));
const checks = (spies: Array<jest.SpyInstance>): number =>
  spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);

const statuses = (responses: Response[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const { status } of responses) {
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
};

function expectRetryAfterOnEvery429(responses: Response[]): void {
  const refused = responses.filter((response) => response.status === 429);
  expect(
    refused.filter((response) => !/^[1-9]\d*$/.test(response.headers['retry-after'] ?? '')),
  ).toEqual([]);
}

describe.each(throttleStores())('concurrent logins, counters in the %s', (_store, redis) => {
  const apps = new ThrottledApps(redis);
  let t: TestApp;

  beforeAll(async () => {
    t = await apps.start({ TRUST_PROXY: 'true' });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(() => apps.closeAll());

  it.each([10, 30])('lets %i concurrent logins with the right password all succeed', async (n) => {
    const user = await registerUser(t);
    const address = newAddress();
    const responses = await Promise.all(
      Array.from({ length: n }, () => passwordAttempt(t, user.username, user.password, address)),
    );
    expect(statuses(responses)).toEqual({ 200: n });
  });

  it.each(['known', 'unknown'])(
    'checks only %s username’s first 5 of 50 concurrent wrong passwords, in any case, and refuses the rest',
    async (kind) => {
      const username =
        kind === 'known' ? (await registerUser(t)).username : uniqueUsername('nobody');
      const variants = [
        username,
        username.toUpperCase(),
        `${username[0].toUpperCase()}${username.slice(1)}`,
      ];
      const address = newAddress();
      freezeThrottleClocks(t);
      const spies = countChecks(t);

      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          passwordAttempt(t, variants[i % variants.length], WRONG_PASSWORD, address),
        ),
      );

      expect(checks(spies)).toBe(THRESHOLD);
      expect(statuses(responses)).toEqual({ 401: THRESHOLD, 429: 50 - THRESHOLD });
      // The clock stands still, so every refusal names the whole first delay.
      const retryAfter = new Set(
        responses.filter((r) => r.status === 429).map((r) => r.headers['retry-after']),
      );
      expect([...retryAfter]).toEqual(['30']);
    },
  );

  it('checks at most twice the threshold when a right password races 49 wrong ones', async () => {
    const user = await registerUser(t);
    const address = newAddress();
    freezeThrottleClocks(t);
    const spies = countChecks(t);

    const right = passwordAttempt(t, user.username, user.password, address);
    const wrong = Array.from({ length: 49 }, () =>
      passwordAttempt(t, user.username, WRONG_PASSWORD, address),
    );
    const [answer, ...answers] = await Promise.all([right, ...wrong]);

    // The success resets the pair: up to 5 checks before it, and 5 after it.
    expect([200, 429]).toContain(answer.status);
    expect(checks(spies)).toBeLessThanOrEqual(answer.status === 200 ? 2 * THRESHOLD : THRESHOLD);
    const counts = statuses(answers);
    expect(Object.keys(counts).sort()).toEqual(['401', '429']);
    expect(counts[401] + (answer.status === 200 ? 1 : 0)).toBe(checks(spies));
    expectRetryAfterOnEvery429([answer, ...answers]);
    await passwordAttempt(t, user.username, WRONG_PASSWORD, address).expect(429);
  });

  it('gives a place held by a crashed check back when its lease ends', async () => {
    const user = await registerUser(t);
    const address = newAddress();
    const advance = freezeThrottleClocks(t);
    const now = t.app.get(ThrottleClock).now();
    // Five checks in flight that will never answer, as if their instance had stopped.
    const { pair } = loginKeys(user.username, address);
    const policy = {
      failuresBeforeDelay: THRESHOLD,
      firstDelayMs: 30_000,
      maxDelayMs: 900_000,
      memoryMs: 86_400_000,
      leaseMs: IN_FLIGHT_LEASE_MS,
    };
    for (let place = 0; place < THRESHOLD; place++) {
      await expect(t.app.get(ThrottleStore).reserve(pair, policy, now)).resolves.toMatchObject({
        outcome: 'reserved',
      });
    }
    const spies = countChecks(t);

    let answered = false;
    const waiting = passwordAttempt(t, user.username, user.password, address).then((response) => {
      answered = true;
      return response;
    });
    await sleep(200);
    expect(answered).toBe(false);
    advance(IN_FLIGHT_WAIT_MS);
    const refused = await waiting;
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(checks(spies)).toBe(0);

    advance(IN_FLIGHT_LEASE_MS - IN_FLIGHT_WAIT_MS);
    await passwordAttempt(t, user.username, user.password, address).expect(200);
  });

  describe('per account (ceiling lowered to 8), from 50 addresses at once', () => {
    let lowered: TestApp;

    beforeAll(async () => {
      lowered = await apps.start({
        TRUST_PROXY: 'true',
        LOGIN_FAILURES_BEFORE_DELAY: '3',
        ACCOUNT_FAILURE_CEILING: '8',
      });
    });

    it('checks only the ceiling’s 8 wrong passwords and refuses the rest', async () => {
      const user = await registerUser(lowered);
      freezeThrottleClocks(lowered);
      const spies = countChecks(lowered);

      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          passwordAttempt(lowered, user.username, WRONG_PASSWORD, newAddress()),
        ),
      );

      expect(checks(spies)).toBe(8);
      expect(statuses(responses)).toEqual({ 401: 8, 429: 42 });
      expectRetryAfterOnEvery429(responses);
    });
  });

  // SQLite serves one instance; several share PostgreSQL, or Redis for the counters.
  if (redis || process.env.E2E_DATABASE === 'postgres') {
    describe('two instances sharing the counters', () => {
      let second: TestApp;

      beforeAll(async () => {
        second = await apps.start(
          { TRUST_PROXY: 'true' },
          {
            shareDatabaseOf: process.env.E2E_DATABASE === 'postgres' ? t : undefined,
            sharePrefixOf: t,
          },
        );
      });

      it('checks only 5 of 50 wrong passwords sent to both at once', async () => {
        const username = uniqueUsername('nobody');
        const address = newAddress();
        freezeThrottleClocks(t, second);
        const spies = countChecks(t, second);

        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            passwordAttempt(i % 2 ? second : t, username, WRONG_PASSWORD, address),
          ),
        );

        expect(checks(spies)).toBe(THRESHOLD);
        expect(statuses(responses)).toEqual({ 401: THRESHOLD, 429: 50 - THRESHOLD });
        expectRetryAfterOnEvery429(responses);
      });
    });
  }
});
