import { ForbiddenException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Client } from '../clients/entities/client.entity';
import { authConfig } from '../config/auth.config';
import { Session } from '../sessions/entities/session.entity';
import { User } from '../users/entities/user.entity';
import { PersonalAccessToken } from '../personal-access-tokens/entities/personal-access-token.entity';
import {
  hashPersonalAccessToken,
  newPersonalAccessToken,
} from '../personal-access-tokens/personal-access-token';
import { PersonalAccessTokenUsage } from '../personal-access-tokens/personal-access-token-usage';
import { InvalidAccessTokenException } from './invalid-access-token.exception';
import { PrincipalState, PrincipalStateService } from './principal-state.service';
import { PrincipalsService } from './principals.service';

const NOW_SECONDS = 1_767_225_600;
const USER_ID = '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11';
const SESSION_ID = '5c1e0a2b-3d4f-4a6b-8c7d-9e0f1a2b3c4d';
const LIFETIME = 900;

function storedUser(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: USER_ID,
    username: 'Ada',
    normalizedUsername: 'ada',
    email: null,
    fullName: null,
    passwordHash: '',
    roles: ['user'],
    disabled: false,
    passwordChangedAt: new Date((NOW_SECONDS - 86400) * 1000),
    tokenVersion: 3,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  });
}

function liveSession(id: string): Session {
  return Object.assign(new Session(), {
    id,
    userId: USER_ID,
    clientId: null,
    scope: 'profile',
    createdAt: new Date((NOW_SECONDS - 60) * 1000),
    lastUsedAt: new Date((NOW_SECONDS - 60) * 1000),
    expiresAt: new Date((NOW_SECONDS + 86400) * 1000),
    revokedAt: null,
    userAgent: null,
    ip: null,
  });
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'https://auth.example.com',
    aud: 'https://auth.example.com',
    sub: USER_ID,
    jti: '6a1f3c0e-8b7d-4e2a-9c5f-0d4b3a2e1f00',
    iat: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 840,
    scope: 'profile',
    roles: ['admin'],
    preferred_username: 'Ada',
    token_version: 3,
    sid: SESSION_ID,
    ...overrides,
  };
}

function setup() {
  const usage = { record: jest.fn<void, [string]>() };
  const users = { findById: jest.fn<Promise<User | null>, [string]>() };
  const sessions = {
    findById: jest
      .fn<Promise<Session | null>, [string]>()
      .mockImplementation((id) => Promise.resolve(liveSession(id))),
  };
  const clients = {
    findById: jest.fn<Promise<Client | null>, [string]>().mockResolvedValue(null),
  };
  const denylist = {
    isRevoked: jest.fn<Promise<boolean>, [string]>().mockResolvedValue(false),
  };
  const personalAccessTokens = {
    findByHash: jest.fn<Promise<PersonalAccessToken | null>, [string]>().mockResolvedValue(null),
  };
  // The caching in front of these is PrincipalStateService's concern (its own spec).
  const state: PrincipalState = {
    user: users.findById,
    session: sessions.findById,
    client: clients.findById,
    isRevoked: denylist.isRevoked,
    personalAccessToken: personalAccessTokens.findByHash,
  };
  const current = jest.fn(() => Promise.resolve(state));
  const principalState = { current } satisfies Pick<PrincipalStateService, 'current'>;
  const auth = new PrincipalsService(
    principalState as unknown as PrincipalStateService,
    {
      accessTokenTtl: LIFETIME,
    } as ConfigType<typeof authConfig>,
    usage as unknown as PersonalAccessTokenUsage,
  );
  return { auth, users, sessions, clients, denylist, personalAccessTokens, current, usage };
}

describe('PrincipalsService', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('userFor', () => {
    beforeEach(() => {
      jest.spyOn(Date, 'now').mockReturnValue(NOW_SECONDS * 1000 + 500);
    });

    it('returns id, username and roles from the database, and the token id', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser({ roles: ['user'] }));

      await expect(auth.userFor(claims({ roles: ['admin'] }))).resolves.toEqual({
        id: USER_ID,
        username: 'Ada',
        roles: ['user'],
        tokenId: '6a1f3c0e-8b7d-4e2a-9c5f-0d4b3a2e1f00',
        sessionId: SESSION_ID,
        clientId: undefined,
        account: storedUser({ roles: ['user'] }),
      });
      expect(users.findById).toHaveBeenCalledWith(USER_ID);
    });

    it('refuses a token whose jti was revoked', async () => {
      const { auth, users, denylist } = setup();
      users.findById.mockResolvedValue(storedUser());
      denylist.isRevoked.mockResolvedValue(true);

      await expect(auth.userFor(claims())).rejects.toBeInstanceOf(InvalidAccessTokenException);
      expect(denylist.isRevoked).toHaveBeenCalledWith('6a1f3c0e-8b7d-4e2a-9c5f-0d4b3a2e1f00');
    });

    it('refuses a token whose session was revoked, and reports the session when it is alive', async () => {
      const { auth, users, sessions } = setup();
      users.findById.mockResolvedValue(storedUser());
      const sid = '1d2c3b4a-0000-4000-8000-000000000001';

      await expect(auth.userFor(claims({ sid }))).resolves.toMatchObject({
        sessionId: sid,
      });
      sessions.findById.mockResolvedValue({ ...liveSession(sid), revokedAt: new Date() });
      await expect(auth.userFor(claims({ sid }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      sessions.findById.mockResolvedValue({
        ...liveSession(sid),
        expiresAt: new Date(NOW_SECONDS * 1000),
      });
      await expect(auth.userFor(claims({ sid }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      sessions.findById.mockResolvedValue(null);
      await expect(auth.userFor(claims({ sid }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      expect(sessions.findById).toHaveBeenCalledWith(sid);
    });

    it('refuses a user token issued through a client that was since deleted', async () => {
      const { auth, users, clients } = setup();
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userFor(claims({ client_id: 'pc_gone' }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      expect(clients.findById).toHaveBeenCalledWith('pc_gone');
    });

    it("answers 403 for a client's own token: these routes act for a user", async () => {
      const { auth, users, clients } = setup();
      clients.findById.mockResolvedValue(
        Object.assign(new Client(), { clientId: 'pc_svc', name: 'svc', scopes: [], grants: [] }),
      );
      const clientToken = claims({ sub: 'pc_svc', client_id: 'pc_svc' });
      delete clientToken.sid;
      delete clientToken.preferred_username;
      delete clientToken.roles;
      delete clientToken.token_version;

      await expect(auth.userFor(clientToken)).rejects.toBeInstanceOf(ForbiddenException);
      await expect(auth.principalFor(clientToken)).resolves.toMatchObject({ kind: 'client' });
      expect(users.findById).not.toHaveBeenCalled();
    });

    it("refuses a user's token without a session, or whose session is another user's", async () => {
      const { auth, users, sessions } = setup();
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userFor(claims({ sid: undefined }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      sessions.findById.mockResolvedValue({ ...liveSession(SESSION_ID), userId: 'someone-else' });
      await expect(auth.userFor(claims())).rejects.toBeInstanceOf(InvalidAccessTokenException);
    });

    it('refuses a token that lives longer than the service issues them', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser());
      const iat = NOW_SECONDS - 60;

      await expect(auth.userFor(claims({ iat, exp: iat + LIFETIME + 30 }))).resolves.toMatchObject({
        id: USER_ID,
      });
      await expect(auth.userFor(claims({ iat, exp: iat + LIFETIME + 31 }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });

    it.each(['sub', 'jti', 'iat', 'exp'])(
      'refuses a token without %s before looking the user up',
      async (claim) => {
        const { auth, users } = setup();
        users.findById.mockResolvedValue(storedUser());
        const payload = claims();
        delete payload[claim];

        await expect(auth.userFor(payload)).rejects.toBeInstanceOf(InvalidAccessTokenException);
        expect(users.findById).not.toHaveBeenCalled();
      },
    );

    it.each([
      ['sub', 42],
      ['jti', 42],
      ['iat', String(NOW_SECONDS)],
      ['exp', String(NOW_SECONDS + 900)],
    ])('refuses a token whose %s is of the wrong type (%j)', async (claim, value) => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userFor(claims({ [claim]: value }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });

    it('refuses a token issued more than 30 seconds in the future', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userFor(claims({ iat: NOW_SECONDS + 31 }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });

    it('accepts a token issued up to 30 seconds in the future (clock skew)', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userFor(claims({ iat: NOW_SECONDS + 30 }))).resolves.toEqual(
        expect.objectContaining({ id: USER_ID }),
      );
    });

    it('refuses a token of a user that no longer exists', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(null);

      await expect(auth.userFor(claims())).rejects.toBeInstanceOf(InvalidAccessTokenException);
    });

    it('answers 403, not 401, for a disabled account', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser({ disabled: true }));

      const rejection = auth.userFor(claims());

      await expect(rejection).rejects.toBeInstanceOf(ForbiddenException);
      await expect(rejection).rejects.toMatchObject({ status: 403 });
    });

    it('refuses a token issued before the last password change (older tokenVersion)', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser({ tokenVersion: 4 }));

      await expect(auth.userFor(claims({ token_version: 3 }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });

    it('refuses a token that carries no tokenVersion at all', async () => {
      const { auth, users } = setup();
      users.findById.mockResolvedValue(storedUser({ tokenVersion: 0 }));

      await expect(auth.userFor(claims({ token_version: undefined }))).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });
  });

  describe('userForPersonalAccessToken', () => {
    const TOKEN = newPersonalAccessToken();
    const TOKEN_ID = '2f6c1b7e-9a3d-4e5f-8b1c-7d0e9f8a6b5c';

    function storedToken(overrides: Partial<PersonalAccessToken> = {}): PersonalAccessToken {
      return Object.assign(new PersonalAccessToken(), {
        id: TOKEN_ID,
        userId: USER_ID,
        name: 'backup',
        tokenHash: hashPersonalAccessToken(TOKEN),
        scopes: ['profile'],
        createdAt: new Date(Date.now() - 60_000),
        expiresAt: new Date(Date.now() + 86_400_000),
        lastUsedAt: null,
        revokedAt: null,
        ...overrides,
      });
    }

    it('finds the token by its hash, runs the account checks and records the use', async () => {
      const { auth, users, personalAccessTokens, usage } = setup();
      personalAccessTokens.findByHash.mockResolvedValue(storedToken());
      users.findById.mockResolvedValue(storedUser({ roles: ['user', 'admin'] }));

      await expect(auth.userForPersonalAccessToken(TOKEN)).resolves.toEqual({
        id: USER_ID,
        username: 'Ada',
        roles: ['user', 'admin'],
        tokenId: TOKEN_ID,
        personalAccessToken: { scopes: ['profile'] },
        account: storedUser({ roles: ['user', 'admin'] }),
      });
      expect(personalAccessTokens.findByHash).toHaveBeenCalledWith(hashPersonalAccessToken(TOKEN));
      expect(usage.record).toHaveBeenCalledWith(TOKEN_ID);
    });

    it('refuses a token with a wrong checksum without reading any state', async () => {
      const { auth, current } = setup();
      const last = TOKEN.at(-1) === 'a' ? 'b' : 'a';

      await expect(
        auth.userForPersonalAccessToken(`${TOKEN.slice(0, -1)}${last}`),
      ).rejects.toBeInstanceOf(InvalidAccessTokenException);
      expect(current).not.toHaveBeenCalled();
    });

    it.each([
      ['unknown', null],
      ['revoked', storedToken({ revokedAt: new Date(Date.now() - 1000) })],
      ['expired', storedToken({ expiresAt: new Date(Date.now() - 1000) })],
    ])('refuses an %s token with 401 and records no use', async (_case, row) => {
      const { auth, users, personalAccessTokens, usage } = setup();
      personalAccessTokens.findByHash.mockResolvedValue(row);
      users.findById.mockResolvedValue(storedUser());

      await expect(auth.userForPersonalAccessToken(TOKEN)).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
      expect(usage.record).not.toHaveBeenCalled();
    });

    it('answers 403 for a disabled account, 401 for a deleted one', async () => {
      const { auth, users, personalAccessTokens } = setup();
      personalAccessTokens.findByHash.mockResolvedValue(storedToken());
      users.findById.mockResolvedValueOnce(storedUser({ disabled: true }));

      await expect(auth.userForPersonalAccessToken(TOKEN)).rejects.toBeInstanceOf(
        ForbiddenException,
      );
      users.findById.mockResolvedValueOnce(null);
      await expect(auth.userForPersonalAccessToken(TOKEN)).rejects.toBeInstanceOf(
        InvalidAccessTokenException,
      );
    });

    it('keeps working across a password change (a newer tokenVersion)', async () => {
      const { auth, users, personalAccessTokens } = setup();
      personalAccessTokens.findByHash.mockResolvedValue(storedToken());
      users.findById.mockResolvedValue(storedUser({ tokenVersion: 9 }));

      await expect(auth.userForPersonalAccessToken(TOKEN)).resolves.toMatchObject({ id: USER_ID });
    });
  });
});
