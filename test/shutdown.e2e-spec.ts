import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { ADMIN } from './utils/test-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

const pause = (ms: number) => new Promise((wait) => setTimeout(wait, ms));

describe('SIGTERM on the built app', () => {
  let database: TestDatabase;
  let app: BuiltApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A deliberately slow argon2 (about a second) keeps the login in flight when the signal lands.
    app = await startBuiltApp({ DATABASE_URL: database.url, ARGON2_TIME_COST: '60' });
  });

  afterAll(async () => {
    await stopBuiltApp(app);
    await database.drop();
  });

  it('finishes the login in flight, refuses new connections, and exits 0', async () => {
    const login = fetch(`${app.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
      body: new URLSearchParams({ username: ADMIN.username, password: ADMIN.password }),
    });
    const answeredAt = login.then(() => Date.now());
    await pause(300);
    app.child.kill('SIGTERM');
    const signalledAt = Date.now();
    await pause(100);

    await expect(
      fetch(`${app.url}/health`, { headers: { connection: 'close' } }),
    ).rejects.toThrow();
    const response = await login;
    expect(await answeredAt).toBeGreaterThan(signalledAt);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer' });
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
  });
});
