import { ForbiddenException } from '@nestjs/common';
import { User } from '../../users/entities/user.entity';
import {
  AccessTokenClaims,
  AccessTokensService,
  RejectedTokenError,
} from '../../tokens/access-tokens.service';
import { AuthService } from '../auth.service';
import { AuthenticatedUser } from '../authenticated-user';
import { JwtStrategy } from './jwt.strategy';

type Outcome =
  | { kind: 'success'; user: unknown }
  | { kind: 'fail'; challenge: unknown; status: unknown }
  | { kind: 'error'; error: unknown };

const CLAIMS: AccessTokenClaims = {
  iss: 'https://auth.example.com',
  aud: 'https://api.example.com',
  sub: 'a8f0c6de-0d1c-4b7e-9f43-1f2f3a4b5c6d',
  exp: 2_000_000_000,
  iat: 1_999_999_000,
  jti: 'jti-1',
  scope: 'profile',
};

const CALLER: AuthenticatedUser = {
  id: CLAIMS.sub,
  username: 'grace',
  roles: ['user'],
  tokenId: 'jti-1',
  account: Object.assign(new User(), { id: CLAIMS.sub, username: 'grace' }),
};

describe('JwtStrategy', () => {
  let verify: jest.Mock<Promise<AccessTokenClaims>, [string]>;
  let userForAccessToken: jest.Mock<Promise<AuthenticatedUser>, [unknown]>;
  let strategy: JwtStrategy;

  beforeEach(() => {
    verify = jest.fn((_rawToken: string) => Promise.resolve(CLAIMS));
    userForAccessToken = jest.fn((_claims: unknown) => Promise.resolve(CALLER));
    strategy = new JwtStrategy(
      { userForAccessToken } as unknown as AuthService,
      { verify } as unknown as AccessTokensService,
    );
  });

  /** Runs the strategy as passport does: on a per-request copy given success, fail and error. */
  function authenticate(headers: Record<string, string>): Promise<Outcome> {
    return new Promise((resolve) => {
      const attempt = Object.assign(Object.create(strategy) as JwtStrategy, {
        success: (user: unknown) => resolve({ kind: 'success', user }),
        fail: (challenge: unknown, status: unknown) => resolve({ kind: 'fail', challenge, status }),
        error: (error: unknown) => resolve({ kind: 'error', error }),
      });
      attempt.authenticate({ headers } as unknown as Parameters<JwtStrategy['authenticate']>[0]);
    });
  }

  it('verifies the bearer token with AccessTokensService.verify, then runs the account checks on its claims', async () => {
    const outcome = await authenticate({ authorization: 'Bearer raw.token.value' });

    expect(outcome).toEqual({ kind: 'success', user: CALLER });
    expect(verify).toHaveBeenCalledWith('raw.token.value');
    expect(userForAccessToken).toHaveBeenCalledWith(CLAIMS);
  });

  it('fails with 401, without verifying anything, when there is no bearer token', async () => {
    const outcome = await authenticate({ authorization: 'Basic Og==' });

    expect(outcome).toMatchObject({ kind: 'fail', status: 401 });
    expect(verify).not.toHaveBeenCalled();
  });

  it('fails with 401 and skips the account checks when the token is refused', async () => {
    const refused = new RejectedTokenError('The token was signed with an unknown key');
    verify.mockRejectedValue(refused);

    const outcome = await authenticate({ authorization: 'Bearer forged' });

    expect(outcome).toEqual({ kind: 'fail', challenge: refused, status: 401 });
    expect(userForAccessToken).not.toHaveBeenCalled();
  });

  it('reports an error, not a refused token, when verification itself breaks', async () => {
    const outage = new Error('connection refused');
    verify.mockRejectedValue(outage);

    await expect(authenticate({ authorization: 'Bearer raw' })).resolves.toEqual({
      kind: 'error',
      error: outage,
    });
  });

  it('passes an account check failure (403 for a disabled account) on as it is', async () => {
    const disabled = new ForbiddenException('This account is disabled');
    userForAccessToken.mockRejectedValue(disabled);

    await expect(authenticate({ authorization: 'Bearer raw' })).resolves.toEqual({
      kind: 'error',
      error: disabled,
    });
  });
});
