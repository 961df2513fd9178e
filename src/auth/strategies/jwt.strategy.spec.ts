import { ForbiddenException } from '@nestjs/common';
import { SignJWT } from 'jose';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { SigningKeysService } from '../../keys/signing-keys.service';
import { RejectedTokenError } from '../../tokens/access-token-claims';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { User } from '../../users/entities/user.entity';
import { AuthenticatedUser } from '../authenticated-user';
import { PrincipalsService } from '../principals.service';
import { EdDsaJwtStrategy } from './eddsa-jwt.strategy';
import { JwtStrategy } from './jwt.strategy';

type Outcome =
  | { kind: 'success'; user: unknown }
  | { kind: 'fail'; challenge: unknown }
  | { kind: 'error'; error: unknown };

type Strategy = JwtStrategy | EdDsaJwtStrategy;

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';

const CALLER: AuthenticatedUser = {
  id: 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d',
  username: 'grace',
  roles: ['user'],
  tokenId: 'jti-1',
  account: Object.assign(new User(), { username: 'grace' }),
};

/** Runs the strategy as passport does: on a per-request copy given success, fail and error. */
function authenticate(strategy: Strategy, headers: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const attempt = Object.assign(Object.create(strategy) as Strategy, {
      success: (user: unknown) => resolve({ kind: 'success', user }),
      fail: (challenge: unknown) => resolve({ kind: 'fail', challenge }),
      error: (error: unknown) => resolve({ kind: 'error', error }),
    });
    attempt.authenticate({ headers } as Parameters<Strategy['authenticate']>[0]);
  });
}

function sign(alg: string, privateKey: KeyObject, issuer = ISSUER): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: CALLER.id, jti: 'jti-1', scope: 'profile' })
    .setProtectedHeader({ alg, kid: 'k1', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(privateKey);
}

describe.each([
  ['RS256', JwtStrategy, () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['EdDSA', EdDsaJwtStrategy, () => generateKeyPairSync('ed25519')],
] as const)('the %s bearer strategy', (alg, Kind, generate) => {
  const { publicKey, privateKey } = generate();
  const verifyOptions = {
    algorithms: alg === 'EdDSA' ? [] : [alg],
    issuer: ISSUER,
    audience: AUDIENCE,
    clockTolerance: 30,
  };
  let verificationKeyFor: jest.Mock<Promise<KeyObject>, [string]>;
  let userFor: jest.Mock<Promise<AuthenticatedUser>, [unknown]>;
  let strategy: Strategy;

  beforeEach(() => {
    verificationKeyFor = jest.fn((_raw: string) => Promise.resolve(publicKey));
    userFor = jest.fn((_payload: unknown) => Promise.resolve(CALLER));
    const keys = { verificationKeyFor } as unknown as SigningKeysService;
    const principals = { userFor } as unknown as PrincipalsService;
    // The EdDSA strategy verifies through the service, whose jose path is its own spec's concern.
    const accessTokens = {
      verifyOptions,
      verify: async (raw: string) => {
        const { jwtVerify } = await import('jose');
        return (await jwtVerify(raw, await verificationKeyFor(raw), { issuer: ISSUER })).payload;
      },
    } as unknown as AccessTokensService;
    strategy =
      Kind === JwtStrategy
        ? new JwtStrategy(keys, accessTokens, principals)
        : new EdDsaJwtStrategy(accessTokens, principals);
  });

  it('verifies the bearer token with the key its kid names, then runs the account checks', async () => {
    const token = await sign(alg, privateKey);

    await expect(authenticate(strategy, { authorization: `Bearer ${token}` })).resolves.toEqual({
      kind: 'success',
      user: CALLER,
    });
    expect(verificationKeyFor).toHaveBeenCalledWith(token);
    expect(userFor).toHaveBeenCalledWith(expect.objectContaining({ sub: CALLER.id, jti: 'jti-1' }));
  });

  it('fails without looking for a key when there is no bearer token', async () => {
    const outcome = await authenticate(strategy, { authorization: 'Basic Og==' });

    expect(outcome.kind).toBe('fail');
    expect(verificationKeyFor).not.toHaveBeenCalled();
  });

  it('refuses a token signed by another key, and skips the account checks', async () => {
    const other = generate().privateKey;
    const outcome = await authenticate(strategy, {
      authorization: `Bearer ${await sign(alg, other)}`,
    });

    expect(outcome.kind).not.toBe('success');
    expect(userFor).not.toHaveBeenCalled();
  });

  it('refuses a token whose header named no key of ours', async () => {
    verificationKeyFor.mockRejectedValue(new RejectedTokenError('unknown key'));
    const outcome = await authenticate(strategy, {
      authorization: `Bearer ${await sign(alg, privateKey)}`,
    });

    expect(outcome.kind).not.toBe('success');
    expect(userFor).not.toHaveBeenCalled();
  });

  it('refuses a token for another issuer', async () => {
    const token = await sign(alg, privateKey, 'https://evil.example.com');

    expect((await authenticate(strategy, { authorization: `Bearer ${token}` })).kind).not.toBe(
      'success',
    );
    expect(userFor).not.toHaveBeenCalled();
  });

  it('passes an account check failure (403 for a disabled account) on as an error', async () => {
    const disabled = new ForbiddenException('This account is disabled');
    userFor.mockRejectedValue(disabled);
    const token = await sign(alg, privateKey);

    await expect(authenticate(strategy, { authorization: `Bearer ${token}` })).resolves.toEqual({
      kind: 'error',
      error: disabled,
    });
  });
});
