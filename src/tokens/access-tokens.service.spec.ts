import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { User } from '../users/entities/user.entity';
import {
  AccessTokenClaims,
  AccessTokensService,
  RejectedTokenError,
} from './access-tokens.service';
import { SigningKeysService } from './signing-keys.service';

type SigningKeys = Pick<SigningKeysService, 'algorithm' | 'currentSigningKey' | 'verificationKey'>;

const KID = 'test-key-1';
const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
const NOW_SECONDS = 1_767_225_600;
/** Half-way through a second: `iat` is the whole second, rounded down. */
const NOW_MS = NOW_SECONDS * 1000 + 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const app: ConfigType<typeof appConfig> = {
  nodeEnv: 'test',
  port: 3000,
  host: '127.0.0.1',
  issuer: ISSUER,
  audience: AUDIENCE,
  redisUrl: undefined,
};

function authSettings(accessTokenTtl = 900): ConfigType<typeof authConfig> {
  return {
    jwtAlg: 'RS256',
    jwtSecret: undefined,
    accessTokenTtl,
    refreshTokenTtl: 30 * 86400,
    registrationEnabled: true,
    bootstrapAdmin: undefined,
  };
}

function user(tokenVersion = 0): User {
  return Object.assign(new User(), {
    id: '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11',
    username: 'ada',
    normalizedUsername: 'ada',
    email: null,
    fullName: null,
    passwordHash: '',
    roles: ['user', 'admin'],
    disabled: false,
    passwordChangedAt: new Date(NOW_MS - 86_400_000),
    tokenVersion,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A token whose header is whatever the test says; the signature is never looked at here. */
function tokenWithHeader(header: Record<string, unknown>): string {
  return `${encode(header)}.${encode({ sub: 'someone' })}.c2lnbmF0dXJl`;
}

const VALID_HEADER = { alg: 'RS256', kid: KID, typ: 'at+jwt' };

describe('AccessTokensService', () => {
  let publicKey: KeyObject;
  let privateKey: KeyObject;
  let jwt: JwtService;

  beforeAll(() => {
    ({ publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
    jwt = new JwtService();
  });

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function service(accessTokenTtl?: number): AccessTokensService {
    const keys: SigningKeys = {
      algorithm: 'RS256',
      currentSigningKey: () => ({ kid: KID, alg: 'RS256', privateKey }),
      verificationKey: (kid: string) => (kid === KID ? publicKey : undefined),
    };
    // The constructor wants the class (it has private members); the fake has every member used.
    return new AccessTokensService(
      jwt,
      keys as unknown as SigningKeysService,
      app,
      authSettings(accessTokenTtl),
    );
  }

  function verified(token: string): Promise<AccessTokenClaims> {
    return jwt.verifyAsync<AccessTokenClaims>(token, {
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  }

  describe('issueForUser', () => {
    it('puts {alg, kid, typ: "at+jwt"} and nothing else in the header', async () => {
      const { accessToken } = await service().issueForUser(user(), 'profile');

      expect(decode(accessToken.split('.')[0])).toEqual({
        alg: 'RS256',
        kid: KID,
        typ: 'at+jwt',
      });
    });

    it('signs iss, aud, sub, iat, exp, jti, scope, roles, preferred_username and token_version', async () => {
      const { accessToken } = await service().issueForUser(user(), 'profile');

      const claims = await verified(accessToken);

      expect(claims.jti).toMatch(UUID);
      expect(claims).toEqual({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11',
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 900,
        jti: claims.jti,
        scope: 'profile',
        roles: ['user', 'admin'],
        preferred_username: 'ada',
        token_version: 0,
      });
    });

    it('answers expires_in as the configured lifetime and echoes the scope', async () => {
      const issued = await service(300).issueForUser(user(), 'profile');

      expect(issued).toEqual({ accessToken: issued.accessToken, expiresIn: 300, scope: 'profile' });
      await expect(verified(issued.accessToken)).resolves.toMatchObject({
        exp: NOW_SECONDS + 300,
      });
    });

    it('gives every token its own jti', async () => {
      const tokens = service();
      const first = await tokens.issueForUser(user(), 'profile');
      const second = await tokens.issueForUser(user(), 'profile');

      const [firstClaims, secondClaims] = await Promise.all([
        verified(first.accessToken),
        verified(second.accessToken),
      ]);
      expect(firstClaims.jti).not.toBe(secondClaims.jti);
    });

    it("carries the user's tokenVersion, so a password change can revoke it", async () => {
      const { accessToken } = await service().issueForUser(user(7), 'profile');

      await expect(verified(accessToken)).resolves.toMatchObject({ token_version: 7 });
    });

    it('issues a token whose verification key is found from its own header', async () => {
      const tokens = service();
      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      expect(tokens.verificationKeyFor(accessToken)).toBe(publicKey);
    });
  });

  describe('verificationKeyFor', () => {
    it('returns the public key of the kid for typ "at+jwt"', () => {
      expect(service().verificationKeyFor(tokenWithHeader(VALID_HEADER))).toBe(publicKey);
    });

    it('returns the public key of the kid for typ "application/at+jwt"', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, typ: 'application/at+jwt' });

      expect(service().verificationKeyFor(token)).toBe(publicKey);
    });

    it('compares typ ignoring case, as media types are', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, typ: 'AT+JWT' });

      expect(service().verificationKeyFor(token)).toBe(publicKey);
    });

    it('refuses a token without typ', () => {
      const token = tokenWithHeader({ alg: 'RS256', kid: KID });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a token with typ "JWT" (an ID token or any other JWT)', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, typ: 'JWT' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a token whose typ is not a string', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, typ: ['at+jwt'] });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses alg "none"', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, alg: 'none' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses alg HS256 when RS256 is configured, even with a known kid', () => {
      // The classic confusion attack: an HMAC "signed" with the published RSA public key.
      const token = tokenWithHeader({ ...VALID_HEADER, alg: 'HS256' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a token without alg', () => {
      const token = tokenWithHeader({ kid: KID, typ: 'at+jwt' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses an unknown kid', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, kid: 'someone-elses-key' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a token without kid', () => {
      const token = tokenWithHeader({ alg: 'RS256', typ: 'at+jwt' });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a kid that is not a string', () => {
      const token = tokenWithHeader({ ...VALID_HEADER, kid: 1 });

      expect(() => service().verificationKeyFor(token)).toThrow(RejectedTokenError);
    });

    it('refuses a header that is base64url but not JSON', () => {
      const header = Buffer.from('{alg: RS256', 'utf8').toString('base64url');

      expect(() => service().verificationKeyFor(`${header}.${encode({})}.c2ln`)).toThrow(
        RejectedTokenError,
      );
    });

    it('refuses a header that is JSON but not an object', () => {
      expect(() =>
        service().verificationKeyFor(`${encode(['at+jwt'])}.${encode({})}.c2ln`),
      ).toThrow(RejectedTokenError);
      expect(() => service().verificationKeyFor(`${encode(null)}.${encode({})}.c2ln`)).toThrow(
        RejectedTokenError,
      );
    });

    it('refuses a header that is not base64url at all', () => {
      expect(() => service().verificationKeyFor('%%%not base64%%%.e30.c2ln')).toThrow(
        RejectedTokenError,
      );
    });

    it('refuses an empty string', () => {
      expect(() => service().verificationKeyFor('')).toThrow(RejectedTokenError);
    });
  });
});
