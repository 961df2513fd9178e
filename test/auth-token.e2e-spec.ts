import * as argon2 from 'argon2';
import { captureLogs } from './utils/captured-logs';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DataSource } from 'typeorm';
import { User } from '../src/users/entities/user.entity';
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

const INCORRECT = { error: 'invalid_grant', error_description: 'Incorrect username or password' };

describe('POST /auth/token (password grant)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('issues a bearer token for a form-urlencoded request, never cached', async () => {
    const user = await registerUser(t);
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password })
      .expect(200);

    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['pragma']).toBe('no-cache');
    expect(response.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: expect.any(Number),
      refresh_token: expect.any(String),
      scope: 'profile',
    });
    const body = response.body as { access_token: string; expires_in: number };
    // `iat` is in whole seconds: 899 when a second ticked between the login and the answer.
    expect(body.expires_in).toBeGreaterThanOrEqual(899);
    expect(body.expires_in).toBeLessThanOrEqual(900);
    await t.http.get('/users/me').set(bearer(body.access_token)).expect(200);
  });

  it('accepts a JSON body and assumes the password grant when grant_type is absent', async () => {
    const user = await registerUser(t);
    const response = await t.http
      .post('/auth/token')
      .send({ username: user.username, password: user.password })
      .expect(200);
    expect((response.body as { token_type: string }).token_type).toBe('bearer');
  });

  it('signs an RFC 9068 access token with the claims the contract lists', async () => {
    const user = await registerUser(t);
    const token = await login(t, user);
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);

    expect(header).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'at+jwt' });
    expect(claims).toMatchObject({
      iss: 'http://portcullis.test',
      aud: 'http://api.portcullis.test',
      sub: user.id,
      scope: 'profile',
      roles: ['user'],
      preferred_username: user.username,
    });
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('logs in whatever the case of the username', async () => {
    const user = await registerUser(t, { username: uniqueUsername('Mixed.Case') });
    await login(t, { username: user.username.toUpperCase(), password: user.password });
  });

  it('answers a wrong password and an unknown user with the same 401 body', async () => {
    const user = await registerUser(t);
    const wrongPassword = await t.http
      .post('/auth/token')
      .type('form')
      .send({ username: user.username, password: 'not the right passphrase at all' })
      .expect(401);
    const unknownUser = await t.http
      .post('/auth/token')
      .type('form')
      .send({ username: 'nobody.here', password: 'not the right passphrase at all' })
      .expect(401);

    expect(wrongPassword.body).toEqual(INCORRECT);
    expect(unknownUser.body).toEqual(INCORRECT);
    expect(wrongPassword.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(unknownUser.headers['www-authenticate']).toBe(wrongPassword.headers['www-authenticate']);
    expect(unknownUser.headers['cache-control']).toBe('no-store');
  });

  it('takes about as long for an unknown user as for a wrong password', async () => {
    const user = await registerUser(t);
    const time = async (username: string) => {
      const started = process.hrtime.bigint();
      await t.http
        .post('/auth/token')
        .send({ username, password: 'not the right passphrase at all' })
        .expect(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const median = async (username: string) => {
      const samples = [];
      for (let i = 0; i < 5; i += 1) {
        samples.push(await time(username));
      }
      return samples.sort((a, b) => a - b)[2];
    };
    const known = await median(user.username);
    const unknown = await median('nobody.at.all');
    // Without the dummy verification an unknown user answers in ~1 ms against ~30+ ms; this bound
    // catches that while leaving room for a noisy shared machine.
    expect(unknown).toBeGreaterThan(known * 0.4);
  });

  it('refuses a disabled account with 403 access_denied, only after the right password', async () => {
    const user = await registerUser(t);
    const adminToken = await login(t, ADMIN);
    await t.http
      .patch(`/users/${user.id}`)
      .set(bearer(adminToken))
      .send({ disabled: true })
      .expect(200);

    const right = await t.http.post('/auth/token').send(credentialsOf(user)).expect(403);
    expect((right.body as { error: string }).error).toBe('access_denied');
    const wrong = await t.http
      .post('/auth/token')
      .send({ username: user.username, password: 'not the right passphrase at all' })
      .expect(401);
    expect(wrong.body).toEqual(INCORRECT);
  });

  it('verifies the password whole: a prefix or a trimmed variant does not log in', async () => {
    const password = `${STRONG_PASSWORD} ${'x'.repeat(90)}`;
    const user = await registerUser(t, { password });
    await login(t, user);
    for (const variant of [
      password.slice(0, 72),
      password.slice(0, -1),
      ` ${password}`,
      `${password} `,
    ]) {
      await t.http
        .post('/auth/token')
        .send({ username: user.username, password: variant })
        .expect(401);
    }
  });

  describe('with a stored hash that is not current', () => {
    const users = () => t.app.get(DataSource).getRepository(User);
    const storedHash = async (id: string) =>
      (
        await users()
          .createQueryBuilder('user')
          .addSelect('user.passwordHash')
          .where({ id })
          .getOneOrFail()
      ).passwordHash;

    const weakHash = (password: string) =>
      argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: 8192,
        timeCost: 1,
        parallelism: 1,
      });

    it('answers a malformed stored hash as a failed login, not a 500', async () => {
      const user = await registerUser(t);
      await users().update(
        { id: user.id },
        { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$broken' },
      );
      const response = await t.http.post('/auth/token').send(credentialsOf(user)).expect(401);
      expect(response.body).toEqual(INCORRECT);
    });

    it('upgrades a hash made with weaker parameters at the next login', async () => {
      const user = await registerUser(t);
      const weak = await weakHash(user.password);
      await users().update({ id: user.id }, { passwordHash: weak });
      await login(t, user);
      const upgraded = await storedHash(user.id);
      expect(upgraded).not.toBe(weak);
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$/);
      expect(upgraded).toContain('m=19456');
      expect(upgraded).toContain('t=2');
      await login(t, user);
      // Once current, a login leaves the hash alone (no re-hash on every login).
      expect(await storedHash(user.id)).toBe(upgraded);
    });

    it('never puts the old password back when an upgrading login races a password change', async () => {
      for (let round = 0; round < 8; round += 1) {
        const user = await registerUser(t);
        const token = await login(t, user);
        await users().update({ id: user.id }, { passwordHash: await weakHash(user.password) });
        const newPassword = `${STRONG_PASSWORD} renewed`;
        // The login checks the old password and stores its upgraded hash after the change did.
        await Promise.all([
          t.http.post('/auth/token').send(credentialsOf(user)),
          t.http
            .post('/users/me/password')
            .set(bearer(token))
            .send({ currentPassword: user.password, newPassword })
            .expect(204),
        ]);
        await t.http.post('/auth/token').send(credentialsOf(user)).expect(401);
        await login(t, { username: user.username, password: newPassword });
      }
    });
  });

  it('treats SQL-looking usernames as plain text', async () => {
    for (const username of ["' OR '1'='1", "admin'--", '" OR ""="', "root.admin' OR 1=1 --"]) {
      const response = await t.http
        .post('/auth/token')
        .send({ username, password: "' OR '1'='1' OR 'a'='a" })
        .expect(401);
      expect(response.body).toEqual(INCORRECT);
    }
  });

  it.each([
    ['an array username', { username: ['a', 'b'], password: 'x' }],
    ['an object username', { username: { $ne: null }, password: 'x' }],
    ['a number password', { username: 'someone', password: 12345 }],
    ['a boolean password', { username: 'someone', password: true }],
    ['an array grant_type', { grant_type: ['password'], username: 'a', password: 'b' }],
    ['an object scope', { username: 'a', password: 'b', scope: { a: 1 } }],
  ])('answers %s with 400 invalid_request', async (_label, body) => {
    const response = await t.http.post('/auth/token').send(body).expect(400);
    expect((response.body as { error: string }).error).toBe('invalid_request');
  });

  it('answers a username with a control character with 400 invalid_request on either database', async () => {
    // PostgreSQL cannot compare a NUL at all: it failed the lookup there and answered 401 on SQLite.
    for (const username of ['ad\u0000min', 'admin\n', 'ad\u0085min']) {
      const json = await t.http.post('/auth/token').send({ username, password: 'x' }).expect(400);
      expect(json.body).toMatchObject({ error: 'invalid_request' });
      const form = await t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username, password: 'x' })
        .expect(400);
      expect(form.body).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('answers a body nested too deeply or a lone surrogate with 400 invalid_request, not a 500', async () => {
    const deep = JSON.parse('['.repeat(1500) + ']'.repeat(1500)) as unknown;
    const nested = await t.http
      .post('/auth/token')
      .send({ username: 'someone', password: deep })
      .expect(400);
    expect(nested.body).toMatchObject({ error: 'invalid_request' });
    // Hashed, "\ud800" and "\udfff" would both be U+FFFD: two passwords that are one.
    const surrogate = await t.http
      .post('/auth/token')
      .send({ username: ADMIN.username, password: `${ADMIN.password}\ud800` })
      .expect(400);
    expect(surrogate.body).toMatchObject({ error: 'invalid_request' });
  });

  // SQLite is a file in the process: it cannot refuse one statement the way a server can.
  if (process.env.E2E_DATABASE === 'postgres') {
    it('answers a database failure during the password check with 503, not as a client error', async () => {
      const user = await registerUser(t);
      const database = t.app.get(DataSource);
      // The login_failed record is written before the answer; here the server refuses it as a
      // server shutting down would (SQLSTATE 57P01).
      await database.query(
        `CREATE FUNCTION refuse_login_failed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `IF NEW."type" = 'login_failed' THEN RAISE EXCEPTION 'shutting down' USING ERRCODE = '57P01'; ` +
          `END IF; RETURN NEW; END $$`,
      );
      await database.query(
        `CREATE TRIGGER refuse_login_failed BEFORE INSERT ON audit_events ` +
          `FOR EACH ROW EXECUTE FUNCTION refuse_login_failed()`,
      );
      const logs = captureLogs();
      try {
        const response = await t.http
          .post('/auth/token')
          .send({ username: user.username, password: 'not the password' })
          .expect(503);
        expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
        expect(logs.lines(40).map((line) => line.msg)).toContain(
          'Database unavailable: shutting down',
        );
      } finally {
        logs.release();
        await database.query('DROP TRIGGER refuse_login_failed ON audit_events');
        await database.query('DROP FUNCTION refuse_login_failed()');
      }
    });
  }

  it('rejects repeated form fields (which parse as arrays) with 400 invalid_request', async () => {
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .send('username=a&username=b&password=c')
      .expect(400);
    expect((response.body as { error: string }).error).toBe('invalid_request');
  });

  it('answers a missing password with 400 invalid_request', async () => {
    const response = await t.http.post('/auth/token').send({ username: 'someone' }).expect(400);
    expect((response.body as { error: string }).error).toBe('invalid_request');
  });

  it('ignores parameters it does not recognise, as real clients send them (RFC 6749 section 3.2)', async () => {
    const extras = {
      resource: 'https://api.example.com',
      audience: 'orders',
      code_verifier: 'x'.repeat(43),
      nonce: 'n',
      roles: 'admin',
    };
    for (const send of [
      () =>
        t.http
          .post('/auth/token')
          .type('form')
          .send({ ...credentialsOf(ADMIN), ...extras }),
      () => t.http.post('/auth/token').send({ ...credentialsOf(ADMIN), ...extras, roles: ['x'] }),
    ]) {
      const response = await send().expect(200);
      const claims = decodeJwt((response.body as { access_token: string }).access_token);
      expect(claims).not.toHaveProperty('resource');
      expect(claims).not.toHaveProperty('audience');
    }
    const user = await registerUser(t);
    const mine = await t.http
      .post('/auth/token')
      .type('form')
      .send({ ...credentialsOf(user), roles: 'admin', scope: '' })
      .expect(200);
    expect(decodeJwt((mine.body as { access_token: string }).access_token).roles).toEqual(['user']);
  });

  it('answers grant_type=authorization_code with unsupported_grant_type, whatever else is sent', async () => {
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code: 'z', redirect_uri: 'https://app.example/cb' })
      .expect(400);
    expect(response.body).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
    'ignores a parameter named %s (an Object.prototype member) like any unknown one',
    async (field) => {
      const form = await t.http
        .post('/auth/token')
        .type('form')
        .send(
          `username=${ADMIN.username}&password=${encodeURIComponent(ADMIN.password)}&${field}=x`,
        )
        .expect(200);
      expect(form.body).toHaveProperty('access_token');
      const json = await t.http
        .post('/auth/token')
        .set('Content-Type', 'application/json')
        .send(`{"username":"${ADMIN.username}","password":"${ADMIN.password}","${field}":"x"}`)
        .expect(200);
      expect(json.body).toHaveProperty('access_token');
    },
  );

  it('still checks the type of the parameters it recognises', async () => {
    for (const body of [
      { username: ['a'], password: 'b' },
      { username: 'a', password: { nested: 'b' } },
      { username: 'a', password: 'b', scope: 42 },
      { grant_type: ['password'], username: 'a', password: 'b' },
    ]) {
      const response = await t.http.post('/auth/token').send(body).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('answers an unparsable JSON body with 400 invalid_request and does not echo it', async () => {
    const response = await t.http
      .post('/auth/token')
      .set('Content-Type', 'application/json')
      .send('{"username":"a","password":"hunter2-secret-value"')
      .expect(400);
    expect((response.body as { error: string }).error).toBe('invalid_request');
    expect(response.text).not.toContain('hunter2-secret-value');
  });

  it('answers an unsupported grant_type with 400 unsupported_grant_type', async () => {
    for (const grantType of [
      'authorization_code',
      'implicit',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ]) {
      const response = await t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: grantType })
        .expect(400);
      expect((response.body as { error: string }).error).toBe('unsupported_grant_type');
    }
  });

  it('answers an unknown scope with 400 invalid_scope', async () => {
    const user = await registerUser(t);
    const response = await t.http
      .post('/auth/token')
      .send({ ...credentialsOf(user), scope: 'profile admin:everything' })
      .expect(400);
    expect((response.body as { error: string }).error).toBe('invalid_scope');
  });

  it('treats Basic credentials with an empty client id (Swagger UI sends "Og==") as no client', async () => {
    const user = await registerUser(t);
    await t.http
      .post('/auth/token')
      .set('Authorization', 'Basic Og==')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password, scope: '' })
      .expect(200);
  });

  it('answers a named but unregistered client with 401 invalid_client', async () => {
    const user = await registerUser(t);
    const basic = Buffer.from('some-client:some-secret').toString('base64');
    const response = await t.http
      .post('/auth/token')
      .set('Authorization', `Basic ${basic}`)
      .send(credentialsOf(user))
      .expect(401);
    expect((response.body as { error: string }).error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toMatch(/^Basic/);
  });

  it('refuses bodies over 64 KiB with 413', async () => {
    const response = await t.http
      .post('/auth/token')
      .send({ username: 'a', password: 'x'.repeat(70 * 1024) })
      .expect(413);
    expect((response.body as { error: string }).error).toBe('invalid_request');
  });
});
