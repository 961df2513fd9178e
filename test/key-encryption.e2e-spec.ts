import { DataSource } from 'typeorm';
import { databaseConfigOf } from '../src/config/database.config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { passwordLogin, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { ADMIN } from './utils/test-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

const FIRST_SECRET = 'first key-encryption secret of thirty-two or more';
const SECOND_SECRET = 'second key-encryption secret of thirty-two or more';

/**
 * Each start is a separate process on one database, as an operator restarts the service with a
 * new KEY_ENCRYPTION_KEY: the keys made on the first start must sign and verify on every later one.
 */
describe('private signing keys encrypted at rest (KEY_ENCRYPTION_KEY)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  async function storedPrivateKeys(): Promise<string[]> {
    const reader = await new DataSource(
      dataSourceOptions(databaseConfigOf(database.url)),
    ).initialize();
    try {
      const rows: Array<{ privateKeyPem: string }> = await reader.query(
        'SELECT "privateKeyPem" FROM "signing_keys" ORDER BY "generation"',
      );
      return rows.map((row) => row.privateKeyPem);
    } finally {
      await reader.destroy();
    }
  }

  /** Starts the service with `secrets`, checks `token` (signed on an earlier start), runs `work`. */
  async function whileRunning(
    secrets: string | undefined,
    work: (url: string) => Promise<void>,
  ): Promise<void> {
    const app = await startBuiltApp({
      DATABASE_URL: database.url,
      ISSUER: 'http://portcullis.test',
      AUDIENCE: 'http://api.portcullis.test',
      JWT_ALG: 'ES256',
      LOG_LEVEL: 'warn',
      ...(secrets === undefined ? {} : { KEY_ENCRYPTION_KEY: secrets }),
    });
    try {
      await work(app.url);
    } finally {
      await stopBuiltApp(app);
    }
  }

  async function accessToken(url: string): Promise<string> {
    const response = await passwordLogin(url, ADMIN);
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function expectAccepted(url: string, token: string): Promise<void> {
    const response = await fetch(`${url}/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  }

  it('encrypts the stored keys, moves them to a new secret, and refuses to start without one', async () => {
    let token = '';
    await whileRunning(undefined, async (url) => {
      token = await accessToken(url);
    });
    const inClear = await storedPrivateKeys();
    expect(inClear.every((stored) => stored.includes('PRIVATE KEY'))).toBe(true);

    // Set on an existing database, the secret encrypts the keys already there.
    await whileRunning(FIRST_SECRET, (url) => expectAccepted(url, token));
    const underFirst = await storedPrivateKeys();
    expect(underFirst).toHaveLength(inClear.length);
    for (const stored of underFirst) {
      expect(stored).not.toContain('PRIVATE KEY');
      expect(inClear.some((pem) => stored.includes(pem.split('\n')[1]))).toBe(false);
    }

    // Rotation of the secret: the new one first, the old one after it while the keys move.
    await whileRunning(`${SECOND_SECRET},${FIRST_SECRET}`, (url) => expectAccepted(url, token));
    const underSecond = await storedPrivateKeys();
    expect(underSecond.every((stored, index) => stored !== underFirst[index])).toBe(true);

    await whileRunning(SECOND_SECRET, async (url) => {
      await expectAccepted(url, token);
      const adminToken = await accessToken(url);
      const rotated = await fetch(`${url}/keys/rotate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(rotated.status).toBe(201);
    });
    const rotated = await storedPrivateKeys();
    expect(rotated).toHaveLength(underSecond.length + 1);
    expect(rotated.some((stored) => stored.includes('PRIVATE KEY'))).toBe(false);

    for (const secrets of [FIRST_SECRET, undefined]) {
      const start = whileRunning(secrets, () => Promise.resolve());
      await expect(start).rejects.toThrow(
        /is encrypted with a KEY_ENCRYPTION_KEY this instance does not have/,
      );
      await start.catch((error: Error) => {
        expect(error.message).not.toContain(FIRST_SECRET);
        expect(error.message).not.toContain(SECOND_SECRET);
      });
    }
  });

  it('refuses a secret shorter than 32 characters, without echoing it', async () => {
    const start = whileRunning('short secret', () => Promise.resolve());
    await expect(start).rejects.toThrow(/KEY_ENCRYPTION_KEY must be secrets of at least 32/);
    await start.catch((error: Error) => expect(error.message).not.toContain('short secret'));
  });
});
