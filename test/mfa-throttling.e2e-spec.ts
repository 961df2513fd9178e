import { enrol, Enrolled, frozenTotp, mfaGrant } from './utils/mfa';
import { Credentials, login, registerUser, TestApp } from './utils/test-app';
import {
  freezeThrottleClocks,
  newAddress,
  passwordAttempt,
  ThrottledApps,
  throttleStores,
} from './utils/throttled-apps';

const MFA_THROTTLED = {
  error: 'slow_down',
  error_description: 'Too many wrong codes; try again later',
};
const WRONG_CODE = '000000';

/**
 * Second-factor codes have counters of their own, per account and per client address, with the
 * defaults (5 failures, then 30 s doubling): a 6-digit code cannot be guessed quickly, and neither
 * kind of failure holds up the other.
 */
describe.each(throttleStores())(
  'throttling of second-factor codes, counters in the %s',
  (_store, redis) => {
    const apps = new ThrottledApps(redis);
    let t: TestApp;
    let peer: TestApp;
    let totp: ReturnType<typeof frozenTotp>;
    let advance: (ms: number) => void;

    beforeAll(async () => {
      t = await apps.start({ TRUST_PROXY: 'true' });
      peer = await apps.start({ TRUST_PROXY: 'true' }, { shareDatabaseOf: t, sharePrefixOf: t });
      totp = frozenTotp(t, peer);
      advance = freezeThrottleClocks(t, peer);
    });

    afterAll(async () => {
      await apps.closeAll();
    });

    async function userWithFactor(): Promise<Credentials & Enrolled> {
      const user = await registerUser(t);
      return { ...user, ...(await enrol(t, user, await login(t, user), (s) => totp.code(s, -1))) };
    }

    async function mfaTokenFrom(app: TestApp, user: Credentials, address: string): Promise<string> {
      const response = await passwordAttempt(app, user.username, user.password, address).expect(
        403,
      );
      return (response.body as { mfa_token: string }).mfa_token;
    }

    const from = (address: string) => ({ 'X-Forwarded-For': address });

    it('lets a right code through while the password counters delay its address', async () => {
      const user = await userWithFactor();
      const address = newAddress();
      const token = await mfaTokenFrom(t, user, address);
      for (let i = 0; i < 5; i += 1) {
        await passwordAttempt(t, user.username, 'not the password', address).expect(401);
      }
      await passwordAttempt(t, user.username, user.password, address).expect(429);

      await mfaGrant(t, token, { otp: totp.code(user.secret) }, from(address)).expect(200);
    });

    it('delays codes after 5 wrong ones, right ones too, while the password still works', async () => {
      const user = await userWithFactor();
      const address = newAddress();
      const token = await mfaTokenFrom(t, user, address);
      for (let i = 0; i < 5; i += 1) {
        await mfaGrant(t, token, { otp: WRONG_CODE }, from(address)).expect(400);
      }
      const fresh = await mfaTokenFrom(t, user, address);
      const refused = await mfaGrant(t, fresh, { otp: totp.code(user.secret) }, from(newAddress()));
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual(MFA_THROTTLED);
      expect(Number(refused.headers['retry-after'])).toBe(30);

      advance(30_000);
      await mfaGrant(t, fresh, { otp: totp.code(user.secret) }, from(address)).expect(200);
    });

    it('checks at most 5 of a burst of wrong codes for one account, across instances', async () => {
      const user = await userWithFactor();
      const tokens = await Promise.all(
        Array.from({ length: 5 }, () => mfaTokenFrom(t, user, newAddress())),
      );
      const statuses = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          mfaGrant(i % 2 ? peer : t, tokens[i % 5], { otp: WRONG_CODE }, from(newAddress())).then(
            (response) => response.status,
          ),
        ),
      );

      expect(statuses.filter((status) => status === 400)).toHaveLength(5);
      expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    });

    it('delays an address after 5 wrong codes on any accounts, and only that address', async () => {
      const address = newAddress();
      for (let i = 0; i < 5; i += 1) {
        const victim = await userWithFactor();
        const token = await mfaTokenFrom(t, victim, newAddress());
        await mfaGrant(t, token, { otp: WRONG_CODE }, from(address)).expect(400);
      }
      const next = await userWithFactor();
      const token = await mfaTokenFrom(t, next, newAddress());
      await mfaGrant(t, token, { otp: totp.code(next.secret) }, from(address)).expect(429);
      await mfaGrant(t, token, { otp: totp.code(next.secret) }, from(newAddress())).expect(200);
    });
  },
);
