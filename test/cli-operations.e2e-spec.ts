import { DataSource } from 'typeorm';
import { RevokedAccessToken } from '../src/tokens/entities/revoked-access-token.entity';
import { auditOf, Cli, cliWith, jsonOf } from './utils/cli';
import { enrol, frozenTotp } from './utils/mfa';
import { SmtpListener } from './utils/smtp-listener';
import { bearer, login, registerUser, startTestApp, TestApp } from './utils/test-app';
import { createTestDatabase } from './utils/test-database';

// Each command is a process that boots the service's modules: seconds each on a busy machine.
jest.setTimeout(120_000);

const CLI_AGENT = /^portcullis-cli \(.+@.+\)$/;

describe('the portcullis CLI: database, clients, keys, mail and maintenance', () => {
  let t: TestApp;
  let cli: Cli;
  let smtp: SmtpListener;

  beforeAll(async () => {
    t = await startTestApp();
    smtp = await new SmtpListener().start();
    cli = cliWith({ DATABASE_URL: t.database.url, MAIL_URL: smtp.url });
  });

  afterAll(async () => {
    await smtp.stop();
    await t.close();
  });

  it('db status lists every migration pending on an empty database, and none after db migrate', async () => {
    const database = await createTestDatabase();
    try {
      const onEmpty = cliWith({ DATABASE_URL: database.url });
      type Status = { migrations: { name: string; applied: boolean }[]; pending: number };
      const before = jsonOf<Status>(await onEmpty(['db', 'status', '--json']));
      expect(before.pending).toBe(before.migrations.length);
      expect(before.migrations[0].name).toBe('InitialSchema1732233600000');
      const { applied } = jsonOf<{ applied: string[] }>(await onEmpty(['db', 'migrate', '--json']));
      expect(applied).toEqual(before.migrations.map(({ name }) => name));
      const after = await onEmpty(['db', 'status']);
      expect(after.stdout).toMatch(/InitialSchema1732233600000\s+applied/);
      expect(after.stdout).toMatch(/^0 pending$/m);
      expect((await onEmpty(['db', 'migrate'])).stdout).toBe('No migration was pending\n');
    } finally {
      await database.drop();
    }
  });

  it('creates a client whose secret is printed once and works, lists it without, deletes it', async () => {
    const created = jsonOf<{ clientId: string; clientSecret: string }>(
      await cli(['clients', 'create', 'billing', '--scope', 'invoices:read', '--json']),
    );
    await t.http
      .post('/auth/token')
      .auth(created.clientId, created.clientSecret)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'invoices:read' })
      .expect(200);
    const listed = await cli(['clients', 'list', '--json']);
    expect(jsonOf<{ clientId: string }[]>(listed).map(({ clientId }) => clientId)).toContain(
      created.clientId,
    );
    expect(listed.stdout).not.toContain(created.clientSecret);
    expect((await auditOf(t, 'client_created'))[0].userAgent).toMatch(CLI_AGENT);
    expect((await cli(['clients', 'create', 'bad', '--grant', 'telepathy'])).code).toBe(2);
    expect((await cli(['clients', 'delete', created.clientId])).code).toBe(0);
    expect((await cli(['clients', 'delete', created.clientId])).code).toBe(3);
  });

  it('keys rotate promotes the next key, which keys list then shows signing', async () => {
    type Listed = { alg: string; keys: { kid: string; state: string }[] };
    const before = jsonOf<Listed>(await cli(['keys', 'list', '--json']));
    const next = before.keys.find(({ state }) => state === 'next');
    const { kid } = jsonOf<{ kid: string }>(await cli(['keys', 'rotate', '--json']));
    expect(kid).toBe(next?.kid);
    const after = jsonOf<Listed>(await cli(['keys', 'list', '--json']));
    expect(after.keys.find(({ state }) => state === 'signing')?.kid).toBe(kid);
    expect(after.keys.filter(({ state }) => state === 'next')).toHaveLength(1);
    const [event] = await auditOf(t, 'key_rotated');
    expect(event).toMatchObject({ detail: { kid } });
    expect(event.userAgent).toMatch(CLI_AGENT);
  });

  it('mail test delivers a message through the outbox to a real SMTP server', async () => {
    const sent = await cli(['mail', 'test', 'ops@example.com', '--json']);
    expect(jsonOf(sent)).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
    const [mail] = await smtp.waitFor('ops@example.com');
    expect(mail.subject).toBe('Portcullis: test message');
    expect((await cli(['mail', 'test', 'not an address'])).code).toBe(2);
  });

  it('mail test exits 1 when the server does not take the message in time', async () => {
    const down = cliWith({ DATABASE_URL: t.database.url, MAIL_URL: 'smtp://127.0.0.1:9' });
    const result = await down(['mail', 'test', 'ops@example.com', '--wait', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not delivered within 1 s \(ESOCKET\); it stays pending/);
  });

  it("users reset-mfa removes a user's factor and ends their sessions; without one it is exit 3", async () => {
    const totp = frozenTotp(t);
    const user = await registerUser(t);
    const token = await login(t, user);
    await enrol(t, user, token, (secret) => totp.code(secret));
    const reset = await cli(['users', 'reset-mfa', user.username, '--json']);
    expect(jsonOf(reset)).toMatchObject({ id: user.id, mfaEnabled: false });
    await t.http.get('/users/me').set(bearer(token)).expect(401);
    await login(t, user);
    const [event] = await auditOf(t, 'mfa_reset_by_admin', user.id);
    expect(event.userAgent).toMatch(CLI_AGENT);
    expect((await cli(['users', 'reset-mfa', user.username])).code).toBe(3);
  });

  it('purge deletes expired rows, with progress on stderr and counts on stdout', async () => {
    const denylist = t.app.get(DataSource).getRepository(RevokedAccessToken);
    await denylist.insert({ jti: 'expired-for-the-cli', expiresAt: new Date(Date.now() - 60_000) });
    const purged = await cli(['purge', '--json']);
    expect(jsonOf<{ deleted: Record<string, number> }>(purged).deleted).toMatchObject({
      denylist: 1,
    });
    expect(purged.stderr).toContain('purge: 10/10 clientSecrets: 0');
    expect(await denylist.countBy({ jti: 'expired-for-the-cli' })).toBe(0);
    const table = await cli(['purge']);
    expect(table.stdout).toMatch(/^table\s+deleted\nsessions\s+\d+/);
  });

  it('calibrate measures argon2id and says when even the floor is above the target', async () => {
    const result = await cli(['calibrate', '--target-ms', '1', '--runs', '1', '--json']);
    const calibrated = jsonOf<{ measurements: unknown[]; suggested: unknown }>(result);
    // Each memory step stops at its first (too slow) measurement.
    expect(calibrated.measurements).toHaveLength(5);
    expect(calibrated.suggested).toBeNull();
    expect(result.stderr).toMatch(/^calibrate: 20\/20 /m);
  });
});
