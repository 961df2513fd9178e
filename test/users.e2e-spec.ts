import { randomUUID } from 'node:crypto';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

interface UserBody {
  id: string;
  username: string;
  email: string | null;
  fullName: string | null;
  roles: string[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

const USER_KEYS = [
  'createdAt',
  'disabled',
  'email',
  'emailVerified',
  'fullName',
  'id',
  'mfaEnabled',
  'roles',
  'updatedAt',
  'username',
];

function expectProblem(body: unknown, status: number) {
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
}

describe('accounts', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
  });

  /** A JSON value nested `levels` deep: a 3 kB body of 1,500 levels used to overflow the stack. */
  const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

  it('refuses a body nested too deeply with 400 on every route that takes one, not a 500', async () => {
    const token = await login(t, await registerUser(t));
    const routes: Array<[string, string, string]> = [
      ['post', '/auth/register', ''],
      ['patch', '/users/me', token],
      ['post', '/users/me/password', token],
      ['post', '/users', adminToken],
      ['post', '/clients', adminToken],
    ];
    for (const [method, path, bearerToken] of routes) {
      const request = method === 'post' ? t.http.post(path) : t.http.patch(path);
      if (bearerToken) {
        request.set(bearer(bearerToken));
      }
      const response = await request.send({ fullName: nested(1500) });
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expectProblem(response.body, 400);
    }
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate) with 400, storing nothing', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    for (const body of [{ fullName: 'Ada \ud800 Lovelace' }, { email: 'a\udc00@example.com' }]) {
      const refused = await t.http.patch('/users/me').set(bearer(token)).send(body).expect(400);
      expectProblem(refused.body, 400);
    }
    const me = await t.http.get('/users/me').set(bearer(token)).expect(200);
    expect(me.body).toMatchObject({ fullName: null, email: null });

    // Stored, a lone surrogate would become U+FFFD: "pw \ud800" and "pw \udfff" one password.
    const username = uniqueUsername();
    for (const body of [
      { username, password: `${STRONG_PASSWORD} \ud800` },
      { username, password: STRONG_PASSWORD, email: 'b\ud800@example.com' },
    ]) {
      await t.http.post('/auth/register').send(body).expect(400);
    }
    await t.http
      .post('/users/me/password')
      .set(bearer(token))
      .send({ currentPassword: user.password, newPassword: `${STRONG_PASSWORD} \udfff` })
      .expect(400);
    await login(t, user);
  });

  describe('POST /auth/register', () => {
    it('creates a user and answers 201 with the user, never a password hash', async () => {
      const username = uniqueUsername();
      const response = await t.http
        .post('/auth/register')
        .send({
          username,
          password: STRONG_PASSWORD,
          email: 'Ada@Example.com',
          fullName: 'Ada Lovelace',
        })
        .expect(201);
      const body = response.body as UserBody;
      expect(Object.keys(body).sort()).toEqual(USER_KEYS);
      expect(body).toMatchObject({
        username,
        email: 'ada@example.com',
        fullName: 'Ada Lovelace',
        roles: ['user'],
        disabled: false,
        mfaEnabled: false,
      });
      expect(body.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
      expect(response.text).not.toMatch(/argon2|passwordHash/);
    });

    it.each([
      ['too short', 'short but ok?'],
      ['a common password', 'password'],
      ['a common password in capitals', 'PASSWORD1'],
      ['longer than 128 characters', 'x'.repeat(129)],
    ])('refuses a password that is %s with 400 naming the field', async (_label, password) => {
      const response = await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password })
        .expect(400);
      expectProblem(response.body, 400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect((response.body as { errors: { field: string }[] }).errors[0].field).toBe('password');
    });

    it('does not echo a refused password', async () => {
      const password = 'hunter2hunter2';
      const response = await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password })
        .expect(400);
      expect(response.text).not.toContain(password);
    });

    it('takes JSON only: a form body is 415 problem details, as on every non-OAuth route', async () => {
      const username = uniqueUsername();
      const response = await t.http
        .post('/auth/register')
        .type('form')
        .send({ username, password: STRONG_PASSWORD })
        .expect(415);
      expectProblem(response.body, 415);
      await t.http.post('/auth/token').send({ username, password: STRONG_PASSWORD }).expect(401);
      await t.http
        .patch('/users/me')
        .set(bearer(adminToken))
        .set('Content-Type', 'Application/X-WWW-Form-Urlencoded')
        .send('fullName=x')
        .expect(415);
      // A route that does not exist is still a 404, whatever the body.
      await t.http.post('/no/such/route').type('form').send({ a: 'b' }).expect(404);
    });

    it('refuses a password equal to the username', async () => {
      const username = 'a.rather.long.username';
      await t.http
        .post('/auth/register')
        .send({ username, password: username.toUpperCase() })
        .expect(400);
    });

    it('counts characters, not UTF-16 units: 15 emoji are long enough, 14 are not', async () => {
      await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password: '🔐'.repeat(14) })
        .expect(400);
      const user = await registerUser(t, { password: '🔐'.repeat(15) });
      await login(t, user);
    });

    it('normalises passwords with NFKC: the compatibility form logs in too', async () => {
      const user = await registerUser(t, { password: 'ﬁve ﬁne ﬁsh swim in the sea' });
      await login(t, { username: user.username, password: 'five fine fish swim in the sea' });
    });

    it.each([
      ['too short', 'ab'],
      ['too long', 'a'.repeat(65)],
      ['with spaces', 'ada lovelace'],
      ['SQL-looking', "x' OR '1'='1"],
      ['with a slash', 'ada/../admin'],
      ['non-ASCII', 'adà'],
    ])('refuses a username that is %s', async (_label, username) => {
      const response = await t.http
        .post('/auth/register')
        .send({ username, password: STRONG_PASSWORD })
        .expect(400);
      expect((response.body as { errors: { field: string }[] }).errors[0].field).toBe('username');
    });

    it('refuses a username taken in another case with 409', async () => {
      const user = await registerUser(t, { username: uniqueUsername('Grace') });
      const response = await t.http
        .post('/auth/register')
        .send({ username: user.username.toLowerCase(), password: STRONG_PASSWORD })
        .expect(409);
      expectProblem(response.body, 409);
    });

    it('takes a null email or full name as none, on registration and admin creation', async () => {
      const registered = await t.http
        .post('/auth/register')
        .send({
          username: uniqueUsername(),
          password: STRONG_PASSWORD,
          email: null,
          fullName: null,
        })
        .expect(201);
      expect(registered.body).toMatchObject({ email: null, fullName: null });
      const created = await t.http
        .post('/users')
        .set(bearer(adminToken))
        .send({ username: uniqueUsername(), password: STRONG_PASSWORD, email: null })
        .expect(201);
      expect(created.body).toMatchObject({ email: null });
    });

    it('refuses an email already registered with 409', async () => {
      const email = `${uniqueUsername()}@example.com`;
      await registerUser(t, { email });
      await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password: STRONG_PASSWORD, email: email.toUpperCase() })
        .expect(409);
    });

    it('moves updatedAt to the moment of each change, never before createdAt', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      const stamps = (body: unknown) => {
        const { createdAt, updatedAt } = body as UserBody;
        return { created: Date.parse(createdAt), updated: Date.parse(updatedAt) };
      };
      const before = Date.now();
      const profile = await t.http
        .patch('/users/me')
        .set(bearer(token))
        .send({ fullName: 'Changed' })
        .expect(200);
      const afterProfile = stamps(profile.body);
      expect(afterProfile.updated).toBeGreaterThanOrEqual(Math.max(before, afterProfile.created));
      const beforePassword = Date.now();
      await t.http
        .post('/users/me/password')
        .set(bearer(token))
        .send({ currentPassword: user.password, newPassword: `${STRONG_PASSWORD} two` })
        .expect(204);
      const me = await t.http.get(`/users/${user.id}`).set(bearer(adminToken)).expect(200);
      expect(stamps(me.body).updated).toBeGreaterThanOrEqual(beforePassword);
    });

    it.each([
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: false }],
      ['mfaEnabled', { mfaEnabled: false }],
      ['id', { id: randomUUID() }],
      ['passwordHash', { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' }],
      ['createdAt', { createdAt: '2000-01-01T00:00:00.000Z' }],
      ['constructor', { constructor: 'x' }],
      ['toString', { toString: 'x' }],
    ])('refuses mass assignment of %s with 400, creating nothing', async (field, extra) => {
      const username = uniqueUsername();
      const response = await t.http
        .post('/auth/register')
        .send({ username, password: STRONG_PASSWORD, ...extra })
        .expect(400);
      expect((response.body as { errors: { field: string }[] }).errors[0].field).toBe(field);
      await t.http.post('/auth/token').send({ username, password: STRONG_PASSWORD }).expect(401);
    });

    it('lists at most 20 refused fields, so a body of thousands of them gets a short answer', async () => {
      const unknown = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, 1]));
      const response = await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password: STRONG_PASSWORD, ...unknown })
        .expect(400);
      const body = response.body as { detail: string; errors: unknown[] };
      expect(body.errors).toHaveLength(20);
      expect(body.detail).toMatch(/; and 4980 more$/);
      expect(response.text.length).toBeLessThan(4096);
    });

    it.each([
      ['a number username', { username: 12345, password: STRONG_PASSWORD }],
      ['an array password', { username: 'someone.new', password: [STRONG_PASSWORD] }],
      ['an object email', { username: 'someone.new', password: STRONG_PASSWORD, email: { a: 1 } }],
      ['a JSON array body', [{ username: 'someone.new', password: STRONG_PASSWORD }]],
      ['a JSON string body', 'someone.new'],
      ['a null body', null],
    ])('answers %s with 400, not 500', async (_label, body) => {
      // JSON.stringify: supertest would send a bare string as a form body.
      const response = await t.http
        .post('/auth/register')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body))
        .expect(400);
      expectProblem(response.body, 400);
    });

    it('lets exactly one of 20 concurrent registrations of one username succeed', async () => {
      const username = uniqueUsername('race');
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.http.post('/auth/register').send({
            username: i % 2 ? username : username.toUpperCase(),
            password: STRONG_PASSWORD,
          }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    });
  });

  describe('/users/me', () => {
    it('returns the caller', async () => {
      const user = await registerUser(t);
      const response = await t.http
        .get('/users/me')
        .set(bearer(await login(t, user)))
        .expect(200);
      expect(response.body).toMatchObject({
        id: user.id,
        username: user.username,
        roles: ['user'],
      });
    });

    it('answers 401 with a Bearer challenge without a token', async () => {
      const response = await t.http.get('/users/me').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="portcullis"');
      expectProblem(response.body, 401);
    });

    it('answers 403 for a disabled account, whose old token is still well-formed', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: true })
        .expect(200);
      const response = await t.http.get('/users/me').set(bearer(token)).expect(403);
      expectProblem(response.body, 403);
    });

    it('updates email and full name, and null clears them', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      const email = `${user.username}@example.org`;
      const updated = await t.http
        .patch('/users/me')
        .set(bearer(token))
        .send({ email, fullName: 'Grace Hopper' })
        .expect(200);
      expect(updated.body).toMatchObject({ email, fullName: 'Grace Hopper' });
      const cleared = await t.http
        .patch('/users/me')
        .set(bearer(token))
        .send({ email: null, fullName: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ email: null, fullName: null });
    });

    it.each([
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: true }],
      ['username', { username: 'renamed.user' }],
      ['id', { id: randomUUID() }],
    ])('refuses a change of %s with 400 and changes nothing', async (_field, body) => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http.patch('/users/me').set(bearer(token)).send(body).expect(400);
      const me = await t.http.get('/users/me').set(bearer(token)).expect(200);
      expect(me.body).toMatchObject({
        username: user.username,
        roles: ['user'],
        disabled: false,
        id: user.id,
      });
    });

    it('refuses an email another user has with 409', async () => {
      const email = `${uniqueUsername()}@example.com`;
      await registerUser(t, { email });
      const user = await registerUser(t);
      await t.http
        .patch('/users/me')
        .set(bearer(await login(t, user)))
        .send({ email })
        .expect(409);
    });

    it('refuses control characters in the full name with 400, and keeps any printable script', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      for (const fullName of ['Ada\u0000Lovelace', 'Ada\nLovelace', 'Ada\tLovelace', 'Ada\u0085']) {
        const refused = await t.http
          .patch('/users/me')
          .set(bearer(token))
          .send({ fullName })
          .expect(400);
        expectProblem(refused.body, 400);
      }
      const fullName = 'Zoë Łukasiewicz-李 O’Brien';
      const kept = await t.http
        .patch('/users/me')
        .set(bearer(token))
        .send({ fullName })
        .expect(200);
      expect(kept.body).toMatchObject({ fullName });
      await t.http
        .post('/auth/register')
        .send({ username: uniqueUsername(), password: STRONG_PASSWORD, fullName: 'a\u0000b' })
        .expect(400);
    });

    it('refuses an invalid email with 400', async () => {
      const user = await registerUser(t);
      await t.http
        .patch('/users/me')
        .set(bearer(await login(t, user)))
        .send({ email: 'not-an-email' })
        .expect(400);
    });
  });

  describe('POST /users/me/password', () => {
    it('changes the password; every token issued before stops working, the new password logs in', async () => {
      const user = await registerUser(t);
      const before = await login(t, user);
      const alsoBefore = await login(t, user);
      const newPassword = 'a brand new passphrase for me';
      await t.http
        .post('/users/me/password')
        .set(bearer(before))
        .send({ currentPassword: user.password, newPassword })
        .expect(204);

      for (const token of [before, alsoBefore]) {
        const response = await t.http.get('/users/me').set(bearer(token)).expect(401);
        expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
      }
      await t.http.post('/auth/token').send(credentialsOf(user)).expect(401);
      const after = await login(t, { username: user.username, password: newPassword });
      await t.http.get('/users/me').set(bearer(after)).expect(200);
    });

    it('lets one of two simultaneous changes through; the other was checked against a replaced password', async () => {
      for (let round = 0; round < 5; round += 1) {
        const user = await registerUser(t);
        const token = await login(t, user);
        const candidates = ['first', 'second'].map((word) => `a new ${word} passphrase for me`);
        const answers = await Promise.all(
          candidates.map((newPassword) =>
            t.http
              .post('/users/me/password')
              .set(bearer(token))
              .send({ currentPassword: user.password, newPassword }),
          ),
        );
        // Both 204 before, and only one of the two passwords worked afterwards.
        expect(answers.map((answer) => answer.status).sort()).toEqual([204, 401]);
        const [kept, lost] = answers[0].status === 204 ? candidates : [...candidates].reverse();
        await login(t, { username: user.username, password: kept });
        await t.http
          .post('/auth/token')
          .send({ username: user.username, password: lost })
          .expect(401);
      }
    });

    it('answers a wrong current password with 401 and keeps the old password', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http
        .post('/users/me/password')
        .set(bearer(token))
        .send({
          currentPassword: 'this is not my password',
          newPassword: 'a brand new passphrase for me',
        })
        .expect(401);
      await login(t, user);
      await t.http.get('/users/me').set(bearer(token)).expect(200);
    });

    it('refuses a weak new password with 400 naming newPassword', async () => {
      const user = await registerUser(t);
      const response = await t.http
        .post('/users/me/password')
        .set(bearer(await login(t, user)))
        .send({ currentPassword: user.password, newPassword: 'password' })
        .expect(400);
      expect((response.body as { errors: { field: string }[] }).errors[0].field).toBe(
        'newPassword',
      );
      await login(t, user);
    });

    it('refuses a missing or wrong-typed field with 400', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http
        .post('/users/me/password')
        .set(bearer(token))
        .send({ newPassword: 'a brand new passphrase' })
        .expect(400);
      await t.http
        .post('/users/me/password')
        .set(bearer(token))
        .send({ currentPassword: 42, newPassword: 'a brand new passphrase' })
        .expect(400);
    });
  });

  describe('administration', () => {
    it('denies every admin route to a non-admin with 403', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      const id = user.id;
      await t.http.get('/users').set(bearer(token)).expect(403);
      await t.http
        .post('/users')
        .set(bearer(token))
        .send({ username: uniqueUsername(), password: STRONG_PASSWORD })
        .expect(403);
      await t.http.get(`/users/${id}`).set(bearer(token)).expect(403);
      await t.http
        .patch(`/users/${id}`)
        .set(bearer(token))
        .send({ roles: ['admin'] })
        .expect(403);
      await t.http.delete(`/users/${id}`).set(bearer(token)).expect(403);
      const me = await t.http.get('/users/me').set(bearer(token)).expect(200);
      expect((me.body as UserBody).roles).toEqual(['user']);
    });

    it('creates a user with roles, who can then log in', async () => {
      const username = uniqueUsername('made.by.admin');
      const response = await t.http
        .post('/users')
        .set(bearer(adminToken))
        .send({ username, password: STRONG_PASSWORD, roles: ['user', 'auditor'] })
        .expect(201);
      expect((response.body as UserBody).roles).toEqual(['user', 'auditor']);
      await login(t, { username, password: STRONG_PASSWORD });
    });

    it('refuses invalid roles', async () => {
      for (const roles of ['admin', [1], ['Not A Role'], [null]]) {
        await t.http
          .post('/users')
          .set(bearer(adminToken))
          .send({ username: uniqueUsername(), password: STRONG_PASSWORD, roles })
          .expect(400);
      }
    });

    it('lists users with paging and search', async () => {
      const tag = `needle${process.pid}x`;
      const made = [];
      for (let i = 0; i < 3; i += 1) {
        made.push(await registerUser(t, { username: `${tag}.${i}` }));
      }
      const page = await t.http
        .get(`/users?q=${tag.toUpperCase()}&limit=2&offset=0`)
        .set(bearer(adminToken))
        .expect(200);
      const body = page.body as { items: UserBody[]; total: number };
      expect(body.total).toBe(3);
      expect(body.items.map((item) => item.username)).toEqual([`${tag}.0`, `${tag}.1`]);
      const next = await t.http
        .get(`/users?q=${tag}&limit=2&offset=2`)
        .set(bearer(adminToken))
        .expect(200);
      expect((next.body as { items: UserBody[] }).items.map((item) => item.username)).toEqual([
        `${tag}.2`,
      ]);
    });

    it('answers the largest offset it accepts with an empty page', async () => {
      const page = await t.http.get('/users?offset=10000').set(bearer(adminToken)).expect(200);
      expect((page.body as { items: UserBody[] }).items).toEqual([]);
    });

    it('treats LIKE wildcards in the search as plain characters', async () => {
      const page = await t.http.get('/users?q=%25').set(bearer(adminToken)).expect(200);
      expect((page.body as { total: number }).total).toBe(0);
      const underscore = await t.http.get('/users?q=_').set(bearer(adminToken)).expect(200);
      expect((underscore.body as { total: number }).total).toBe(0);
    });

    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=abc'],
      ['offset=-1'],
      ['offset=10001'],
      ['offset=9223372036854775807'],
      ['offset=1e308'],
      ['limit=1&limit=2'],
      ['q[$ne]=x'],
      ['unknown=1'],
      ['constructor=1'],
      ['q=%00'],
    ])('refuses the query %s with 400', async (query) => {
      await t.http.get(`/users?${query}`).set(bearer(adminToken)).expect(400);
    });

    it('gets, updates and deletes a user by id', async () => {
      const user = await registerUser(t);
      const got = await t.http.get(`/users/${user.id}`).set(bearer(adminToken)).expect(200);
      expect((got.body as UserBody).username).toBe(user.username);
      const patched = await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['user', 'admin'], fullName: 'Promoted' })
        .expect(200);
      expect(patched.body).toMatchObject({ roles: ['user', 'admin'], fullName: 'Promoted' });
      await t.http.delete(`/users/${user.id}`).set(bearer(adminToken)).expect(204);
      await t.http.get(`/users/${user.id}`).set(bearer(adminToken)).expect(404);
      await t.http.delete(`/users/${user.id}`).set(bearer(adminToken)).expect(404);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      await t.http.get(`/users/${randomUUID()}`).set(bearer(adminToken)).expect(404);
      await t.http
        .patch(`/users/${randomUUID()}`)
        .set(bearer(adminToken))
        .send({ fullName: 'x' })
        .expect(404);
      await t.http.get("/users/1' OR '1'='1").set(bearer(adminToken)).expect(400);
      await t.http.get('/users/not-a-uuid').set(bearer(adminToken)).expect(400);
    });

    it('refuses null or wrong-typed roles and disabled with 400', async () => {
      const user = await registerUser(t);
      for (const body of [
        { roles: null },
        { disabled: null },
        { disabled: 'true' },
        { roles: 'admin' },
      ]) {
        await t.http.patch(`/users/${user.id}`).set(bearer(adminToken)).send(body).expect(400);
      }
    });

    it('revokes tokens on disable for good: re-enabling does not revive them', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: true })
        .expect(200);
      await t.http.get('/users/me').set(bearer(token)).expect(403);
      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ disabled: false })
        .expect(200);
      await t.http.get('/users/me').set(bearer(token)).expect(401);
      await t.http
        .get('/users/me')
        .set(bearer(await login(t, user)))
        .expect(200);
    });

    it("stops a deleted user's token at once", async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http.delete(`/users/${user.id}`).set(bearer(adminToken)).expect(204);
      const response = await t.http.get('/users/me').set(bearer(token)).expect(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('applies a role change to live tokens at once', async () => {
      const user = await registerUser(t);
      const token = await login(t, user);
      await t.http.get('/users').set(bearer(token)).expect(403);
      await t.http
        .patch(`/users/${user.id}`)
        .set(bearer(adminToken))
        .send({ roles: ['admin'] })
        .expect(200);
      await t.http.get('/users').set(bearer(token)).expect(200);
    });
  });
});

describe('accounts with registration disabled', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REGISTRATION_ENABLED: 'false' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers POST /auth/register with 403, even for an invalid body', async () => {
    const response = await t.http
      .post('/auth/register')
      .send({ username: 'someone.new', password: STRONG_PASSWORD })
      .expect(403);
    expectProblem(response.body, 403);
    await t.http.post('/auth/register').send({ nonsense: true }).expect(403);
  });

  it('still lets an admin create users', async () => {
    const adminToken = await login(t, ADMIN);
    const username = uniqueUsername();
    await t.http
      .post('/users')
      .set(bearer(adminToken))
      .send({ username, password: STRONG_PASSWORD })
      .expect(201);
    await login(t, { username, password: STRONG_PASSWORD });
  });
});

describe('the last enabled administrator', () => {
  let t: TestApp;
  let rootToken: string;
  let rootId: string;

  beforeAll(async () => {
    t = await startTestApp();
    rootToken = await login(t, ADMIN);
    rootId = ((await t.http.get('/users/me').set(bearer(rootToken)).expect(200)).body as UserBody)
      .id;
  });

  afterAll(async () => {
    await t.close();
  });

  async function rolesOf(token: string): Promise<string[]> {
    return ((await t.http.get('/users/me').set(bearer(token)).expect(200)).body as UserBody).roles;
  }

  async function makeAdmin(): Promise<{ id: string; token: string }> {
    const user = await registerUser(t);
    await t.http
      .patch(`/users/${user.id}`)
      .set(bearer(rootToken))
      .send({ roles: ['admin', 'user'] })
      .expect(200);
    return { id: user.id, token: await login(t, user) };
  }

  it('cannot be demoted, disabled or deleted, and a refused change changes nothing', async () => {
    for (const body of [
      { roles: ['user'] },
      { roles: [] },
      { disabled: true },
      { roles: ['user', 'auditor'], fullName: 'Not Applied' },
    ]) {
      const refused = await t.http
        .patch(`/users/${rootId}`)
        .set(bearer(rootToken))
        .send(body)
        .expect(409);
      expectProblem(refused.body, 409);
    }
    expectProblem(
      (await t.http.delete(`/users/${rootId}`).set(bearer(rootToken)).expect(409)).body,
      409,
    );
    // Still an enabled admin, with the same token (a refused disable revokes nothing).
    const me = (await t.http.get('/users/me').set(bearer(rootToken)).expect(200)).body as UserBody;
    expect(me).toMatchObject({ roles: ['admin', 'user'], disabled: false, fullName: null });
    await t.http.get('/users').set(bearer(rootToken)).expect(200);
  });

  it('can still be changed in ways that keep it an enabled administrator', async () => {
    await t.http
      .patch(`/users/${rootId}`)
      .set(bearer(rootToken))
      .send({ roles: ['admin', 'user', 'auditor'], fullName: 'Root', disabled: false })
      .expect(200);
    await t.http
      .patch(`/users/${rootId}`)
      .set(bearer(rootToken))
      .send({ roles: ['admin', 'user'], fullName: null })
      .expect(200);
  });

  it('counts only enabled administrators: a disabled one does not stand in', async () => {
    const other = await makeAdmin();
    await t.http
      .patch(`/users/${other.id}`)
      .set(bearer(rootToken))
      .send({ disabled: true })
      .expect(200);
    await t.http
      .patch(`/users/${rootId}`)
      .set(bearer(rootToken))
      .send({ roles: ['user'] })
      .expect(409);
    await t.http.delete(`/users/${other.id}`).set(bearer(rootToken)).expect(204);
    await t.http.delete(`/users/${rootId}`).set(bearer(rootToken)).expect(409);
  });

  it('may go once another enabled administrator exists', async () => {
    const other = await makeAdmin();
    await t.http
      .patch(`/users/${rootId}`)
      .set(bearer(other.token))
      .send({ roles: ['user'] })
      .expect(200);
    expect(await rolesOf(rootToken)).toEqual(['user']);
    await t.http
      .patch(`/users/${other.id}`)
      .set(bearer(other.token))
      .send({ roles: ['user'] })
      .expect(409);
    await t.http.delete(`/users/${other.id}`).set(bearer(other.token)).expect(409);
    await t.http
      .patch(`/users/${rootId}`)
      .set(bearer(other.token))
      .send({ roles: ['admin', 'user'] })
      .expect(200);
    await t.http.delete(`/users/${other.id}`).set(bearer(rootToken)).expect(204);
  });

  it('keeps one of two administrators removing each other at the same moment', async () => {
    for (let round = 0; round < 16; round += 1) {
      const other = await makeAdmin();
      const removals = await Promise.all([
        t.http
          .patch(`/users/${other.id}`)
          .set(bearer(rootToken))
          .send({ roles: ['user'] }),
        round % 2 === 0
          ? t.http.patch(`/users/${rootId}`).set(bearer(other.token)).send({ disabled: true })
          : t.http.delete(`/users/${rootId}`).set(bearer(other.token)),
      ]);
      const statuses = removals.map((response) => response.status);
      // The loser is refused by the guard (409), or, if the winner's change landed before its
      // request was authorised, as the caller it no longer is: demoted (403), disabled (403 or,
      // its tokens revoked, 401) or deleted (401).
      expect(statuses.filter((status) => status === 200 || status === 204)).toHaveLength(1);
      expect(statuses.filter((status) => [401, 403, 409].includes(status))).toHaveLength(1);
      const rootKept = statuses[0] === 200;
      const survivor = rootKept ? rootToken : other.token;
      const admins = (
        (await t.http.get('/users?limit=100').set(bearer(survivor)).expect(200)).body as {
          items: UserBody[];
        }
      ).items.filter((user) => user.roles.includes('admin') && !user.disabled);
      expect(admins.map((user) => user.id)).toEqual([rootKept ? rootId : other.id]);
      if (!rootKept) {
        // Put the root administrator back for the next round (a deleted one is created again).
        if (round % 2 === 0) {
          await t.http
            .patch(`/users/${rootId}`)
            .set(bearer(other.token))
            .send({ disabled: false })
            .expect(200);
        } else {
          const again = await t.http
            .post('/users')
            .set(bearer(other.token))
            .send({ ...ADMIN, roles: ['admin', 'user'] })
            .expect(201);
          rootId = (again.body as UserBody).id;
        }
        rootToken = await login(t, ADMIN);
        await t.http.delete(`/users/${other.id}`).set(bearer(rootToken)).expect(204);
      } else {
        await t.http.delete(`/users/${other.id}`).set(bearer(rootToken)).expect(204);
      }
    }
  });
});
