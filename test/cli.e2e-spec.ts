import { auditOf, Cli, cliWith, jsonOf } from './utils/cli';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import {
  bearer,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

interface UserJson {
  id: string;
  username: string;
  roles: string[];
  disabled: boolean;
}

// Each command is a process that boots the service's modules: seconds each on a busy machine.
jest.setTimeout(120_000);

const CLI_AGENT = /^portcullis-cli \(.+@.+\)$/;

describe('the portcullis CLI: users and their tokens', () => {
  let t: TestApp;
  let cli: Cli;

  beforeAll(async () => {
    t = await startTestApp();
    cli = cliWith({ DATABASE_URL: t.database.url });
  });

  afterAll(() => t.close());

  const create = async (username: string, extra: string[] = []) =>
    jsonOf<UserJson>(
      await cli(['users', 'create', username, ...extra, '--json'], `${STRONG_PASSWORD}\n`),
    );

  it('creates a user with the password from stdin, who can then log in; audited as the CLI', async () => {
    const username = uniqueUsername('cli');
    const user = await create(username, [
      '--role',
      'user,auditor',
      '--email',
      `${username}@example.com`,
    ]);
    expect(user).toMatchObject({ username, roles: ['user', 'auditor'], disabled: false });
    await login(t, { username, password: STRONG_PASSWORD });
    const [event] = await auditOf(t, 'user_created', user.id);
    expect(event).toMatchObject({ ip: null, detail: { actorId: null, roles: 'user auditor' } });
    expect(event.userAgent).toMatch(CLI_AGENT);
  });

  it('refuses a password on the command line before doing anything (exit 2)', async () => {
    const username = uniqueUsername('argv');
    const result = await cli(['users', 'create', username, `--password=${STRONG_PASSWORD}`]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('--password is not accepted');
    expect(result.stderr).not.toContain(STRONG_PASSWORD);
    expect((await cli(['users', 'show', username])).code).toBe(3);
  });

  it('answers bad input with exit 2 and the reason on stderr, nothing on stdout', async () => {
    const weak = await cli(['users', 'create', uniqueUsername('weak'), '--json'], 'password\n');
    expect(weak).toMatchObject({ code: 2, stdout: '' });
    expect(weak.stderr).toMatch(/at least 15 characters/);
    const badRole = await cli(
      ['users', 'create', uniqueUsername('role'), '--role', 'Bad Role!'],
      `${STRONG_PASSWORD}\n`,
    );
    expect(badRole).toMatchObject({ code: 2, stdout: '' });
    expect(badRole.stderr).toMatch(/each role must match/);
    const noPassword = await cli(['users', 'create', uniqueUsername('empty')], '');
    expect(noPassword).toMatchObject({ code: 2 });
    expect(noPassword.stderr).toMatch(/No password on stdin/);
    expect((await cli(['users', 'frobnicate'])).code).toBe(2);
  });

  it('answers an unknown user with exit 3', async () => {
    for (const command of ['show', 'reset-mfa']) {
      const result = await cli(['users', command, 'nobody.here']);
      expect(result).toMatchObject({ code: 3, stdout: '' });
      expect(result.stderr).toContain('No user is named "nobody.here"');
    }
  });

  it('lists users as a table for people and as JSON for scripts', async () => {
    const { username } = await create(uniqueUsername('listed'));
    const table = await cli(['users', 'list', '--query', username]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\s+username\s+email\s+roles/);
    expect(table.stdout).toContain(username);
    const listed = jsonOf<{ items: UserJson[]; total: number }>(
      await cli(['users', 'list', '-q', username, '--json']),
    );
    expect(listed).toMatchObject({ total: 1, items: [{ username }] });
    expect((await cli(['users', 'list', '--limit', '0'])).code).toBe(2);
  });

  it('disables (refusing its tokens at once) and enables, as PATCH /users/{id} does', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    expect(
      jsonOf<UserJson>(await cli(['users', 'disable', user.username, '--json'])).disabled,
    ).toBe(true);
    await t.http.get('/users/me').set(bearer(token)).expect(403);
    const [event] = await auditOf(t, 'user_disabled', user.id);
    expect(event.userAgent).toMatch(CLI_AGENT);
    expect(jsonOf<UserJson>(await cli(['users', 'enable', user.id, '--json'])).disabled).toBe(
      false,
    );
    await login(t, user);
  });

  it('sets roles; the last administrator cannot be demoted (exit 4)', async () => {
    const user = await registerUser(t);
    const changed = jsonOf<UserJson>(
      await cli(['users', 'set-roles', user.username, 'user', 'billing', '--json']),
    );
    expect(changed.roles).toEqual(['user', 'billing']);
    expect((await auditOf(t, 'user_updated', user.id))[0].detail).toMatchObject({
      fields: 'roles',
    });
    const demoted = await cli(['users', 'set-roles', 'root.admin', 'user']);
    expect(demoted.code).toBe(4);
    expect(demoted.stderr).toMatch(/last enabled administrator/);
  });

  it('reset-password sets a new password from stdin under the policy and ends every session', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    const weak = await cli(['users', 'reset-password', user.username], 'short\n');
    expect(weak.code).toBe(2);
    const newPassword = 'a brand new passphrase for cli';
    const reset = await cli(
      ['users', 'reset-password', user.username, '--json'],
      `${newPassword}\n`,
    );
    expect(jsonOf(reset)).toEqual({
      id: user.id,
      username: user.username,
      outcome: 'password set',
    });
    expect(reset.stdout + reset.stderr).not.toContain(newPassword);
    await t.http.get('/users/me').set(bearer(token)).expect(401);
    await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password })
      .expect(401);
    await login(t, { username: user.username, password: newPassword });
    const [event] = await auditOf(t, 'password_changed', user.id);
    expect(event).toMatchObject({ detail: { outcome: 'success', by: 'admin' } });
    expect(event.userAgent).toMatch(CLI_AGENT);
  });

  it('reset-password --mail asks for the admin reset mail; a user without an address is exit 4', async () => {
    const withEmail = await registerUser(t, { email: `${uniqueUsername('reset')}@example.com` });
    const mailed = await cli(['users', 'reset-password', withEmail.username, '--mail'], '');
    expect(mailed.code).toBe(0);
    expect((await auditOf(t, 'password_reset_requested', withEmail.id))[0]).toMatchObject({
      detail: { by: 'admin', mailed: true },
      userAgent: expect.stringMatching(CLI_AGENT) as unknown,
    });
    const withoutEmail = await registerUser(t);
    expect((await cli(['users', 'reset-password', withoutEmail.username, '--mail'])).code).toBe(4);
  });

  it("lists a user's sessions; tokens revoke-user ends them, their access and personal access tokens", async () => {
    const user = await registerUser(t);
    const first = await login(t, user);
    await login(t, user);
    const pat = await createPersonalAccessToken(t, first);
    const sessions = jsonOf<{ id: string; ip: string }[]>(
      await cli(['users', 'sessions', user.username, '--json']),
    );
    expect(sessions).toHaveLength(2);
    expect(jsonOf(await cli(['tokens', 'revoke-user', user.username, '--json']))).toMatchObject({
      revoked: true,
    });
    expect(jsonOf(await cli(['users', 'sessions', user.id, '--json']))).toEqual([]);
    await t.http.get('/users/me').set(bearer(first)).expect(401);
    await t.http.get('/users/me').set(bearer(pat.token)).expect(401);
    const [event] = await auditOf(t, 'token_revoked', user.id);
    expect(event).toMatchObject({ detail: { tokenType: 'all' } });
    expect(event.userAgent).toMatch(CLI_AGENT);
  });

  it("ends one of a user's sessions by id, then all of them; personal access tokens stay", async () => {
    const [user, other] = [await registerUser(t), await registerUser(t)];
    const first = await login(t, user);
    const second = await login(t, user);
    const othersToken = await login(t, other);
    const pat = await createPersonalAccessToken(t, second);
    const sessionOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;

    const end = (...args: string[]) => cli(['users', 'end-sessions', user.username, ...args]);
    expect((await end('not-a-session')).code).toBe(2);
    expect((await end(sessionOf(othersToken))).code).toBe(3);
    await t.http.get('/users/me').set(bearer(othersToken)).expect(200);
    const sid = sessionOf(first);
    expect(jsonOf(await end(sid, '--json'))).toEqual({
      id: user.id,
      username: user.username,
      ended: sid,
    });
    await t.http.get('/users/me').set(bearer(first)).expect(401);
    await t.http.get('/users/me').set(bearer(second)).expect(200);
    const [event] = await auditOf(t, 'token_revoked', user.id);
    expect(event).toMatchObject({
      detail: { tokenType: 'session', sessionId: sid, endedBy: 'admin' },
    });
    expect(event.userAgent).toMatch(CLI_AGENT);

    expect((await end()).code).toBe(0);
    expect(jsonOf(await cli(['users', 'sessions', user.id, '--json']))).toEqual([]);
    await t.http.get('/users/me').set(bearer(second)).expect(401);
    await t.http.get('/users/me').set(bearer(pat.token)).expect(200);
  });

  it('deletes a user, then answers exit 3 for them', async () => {
    const user = await registerUser(t);
    expect(jsonOf(await cli(['users', 'delete', user.username, '--json']))).toMatchObject({
      deleted: true,
    });
    expect((await cli(['users', 'show', user.id])).code).toBe(3);
    expect((await auditOf(t, 'user_deleted', user.id))[0].userAgent).toMatch(CLI_AGENT);
  });
});
