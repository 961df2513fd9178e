import { createHmac } from 'node:crypto';
import { passwordGrant, TokenPair } from './utils/oauth';
import { bearer, registerUser, startTestApp, TestApp } from './utils/test-app';

// HS256 with a secret the test knows, so that it can move a real token's exp into the past.
const JWT_SECRET = 'denylist-test-secret-0123456789abcdefghij';
const HS256 = { JWT_ALG: 'HS256', JWT_SECRET };

interface Claims {
  exp: number;
}

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Claims;

/** The same token (same jti, session, user) with exp moved to 5 s ago: expired, inside the leeway. */
function expiredWithinLeeway(token: string): string {
  const [header] = token.split('.');
  const claims = { ...claimsOf(token), exp: Math.floor(Date.now() / 1000) - 5 };
  const input = `${header}.${segment(claims)}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
}

describe('the access-token denylist', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...HS256 });
  });

  afterAll(async () => {
    await t.close();
  });

  async function revoke(app: TestApp, token: string): Promise<void> {
    await app.http
      .post('/auth/revoke')
      .type('form')
      .send({ token, token_type_hint: 'access_token' })
      .expect(200);
  }

  async function freshPair(app: TestApp): Promise<TokenPair> {
    return passwordGrant(app, await registerUser(app));
  }

  it('refuses a revoked token for as long as it could still verify, past its exp', async () => {
    const late = expiredWithinLeeway((await freshPair(t)).access_token);
    // Past exp, inside the leeway: the token still verifies, so only the denylist can refuse it.
    await t.http.get('/users/me').set(bearer(late)).expect(200);

    await revoke(t, late);
    await t.http.get('/users/me').set(bearer(late)).expect(401);
    // Revoking another token is what prunes the database's expired entries.
    await revoke(t, (await freshPair(t)).access_token);
    await t.http.get('/users/me').set(bearer(late)).expect(401);
  });
});
