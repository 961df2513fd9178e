import { connect } from 'node:net';
import { BuiltApp, passwordLogin, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { ADMIN } from './utils/test-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

const pause = (ms: number) => new Promise((wait) => setTimeout(wait, ms));

// A deliberately slow argon2 (about a second) keeps a login in flight when the signal lands.
const SLOW_ARGON2 = { ARGON2_TIME_COST: '60' };
// Info and above, so the test can read the shutdown's lines and any error logged on the way.
const LOGGED = { LOG_LEVEL: 'info' };

/**
 * A login whose client goes away with a TCP reset (as a proxy or a killed client does), which
 * closes the server's side of the connection at once, with the login still running.
 */
async function abandonedAdminLogin(url: string, afterMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  const body = new URLSearchParams({ username: ADMIN.username, password: ADMIN.password });
  const socket = connect(Number(port), hostname);
  await new Promise((connected) => socket.once('connect', connected));
  socket.write(
    `POST /auth/token HTTP/1.1\r\nHost: ${hostname}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body.toString())}\r\n\r\n${body.toString()}`,
  );
  await pause(afterMs);
  socket.resetAndDestroy();
}

/** The pino lines at level error (50) or above. */
function errorLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}

describe('SIGTERM on the built app', () => {
  let database: TestDatabase;
  let app: BuiltApp;

  beforeEach(async () => {
    database = await createTestDatabase();
    app = await startBuiltApp({ DATABASE_URL: database.url, ...SLOW_ARGON2, ...LOGGED });
  });

  afterEach(async () => {
    await stopBuiltApp(app);
    await database.drop();
  });

  it('finishes the login in flight, refuses new connections, and exits 0', async () => {
    const login = passwordLogin(app.url, ADMIN);
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

  it('exits once the answers in flight are out, even on keep-alive connections', async () => {
    // fetch keeps its connection alive; the server's keep-alive timeout is 72 s.
    const login = fetch(`${app.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: ADMIN.username, password: ADMIN.password }),
    });
    await pause(300);
    app.child.kill('SIGTERM');
    const response = await login;
    expect(response.status).toBe(200);
    await response.json();
    const gaveUp = pause(15000).then(() => 'still running 15 s after the answer');
    await expect(Promise.race([app.exited, gaveUp])).resolves.toEqual({ code: 0, signal: null });
  });

  it('finishes a login whose client went away before it closes the database', async () => {
    // Early in the second-long login, so that it is still running when the signal lands.
    await abandonedAdminLogin(app.url, 100);
    await pause(50);
    app.child.kill('SIGTERM');

    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
    expect(app.stdout()).toContain('Waiting for requests still running: 1');
    expect(errorLines(app.stdout())).toEqual([]);

    // The same database again: the abandoned login ran to its end and opened its session.
    app = await startBuiltApp({ DATABASE_URL: database.url, ...SLOW_ARGON2, ...LOGGED });
    const response = await passwordLogin(app.url, ADMIN);
    expect(response.status).toBe(200);
    const { access_token: token } = (await response.json()) as { access_token: string };
    const sessions = await fetch(`${app.url}/users/me/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await sessions.json()).toHaveLength(2);
  });
});
