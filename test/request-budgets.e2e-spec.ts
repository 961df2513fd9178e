import {
  bearer,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

/** Hourly budgets of the routes that cost a hash or tell whether an email is registered. */
describe('registration and profile-change budgets', () => {
  let a: TestApp;
  let b: TestApp;
  const env = { REGISTRATIONS_PER_HOUR: '3', PROFILE_CHANGES_PER_HOUR: '2' };

  beforeAll(async () => {
    a = await startTestApp(env);
    b = await startTestApp(env, { shareDatabaseOf: a });
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const register = (t: TestApp, username = uniqueUsername()) =>
    t.http.post('/auth/register').send({ username, password: STRONG_PASSWORD });

  it('refuses the registration over the hourly budget of an address, on every instance', async () => {
    await register(a).expect(201);
    const taken = uniqueUsername();
    await register(b, taken).expect(201);
    // A refused registration counts too: each one costs a hash or tells that a name is taken.
    await register(a, taken).expect(409);
    const refused = await register(b).expect(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(refused.body).toMatchObject({ status: 429 });
  });

  it("refuses an account's profile change over its hourly budget", async () => {
    const c = await startTestApp({ PROFILE_CHANGES_PER_HOUR: '2' });
    try {
      const token = await login(c, await registerUser(c));
      for (const fullName of ['Ada', 'Ada L.']) {
        await c.http.patch('/users/me').set(bearer(token)).send({ fullName }).expect(200);
      }
      const refused = await c.http
        .patch('/users/me')
        .set(bearer(token))
        .send({ email: 'probe@example.com' })
        .expect(429);
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await c.close();
    }
  });
});
