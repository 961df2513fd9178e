import type { ConfigType } from '@nestjs/config';
import { JWTHeaderParameters, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { createSecretKey, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { JwtAlgorithm } from '../config/environment';
import { User } from '../users/entities/user.entity';
import {
  AccessTokenClaims,
  AccessTokensService,
  RejectedTokenError,
} from './access-tokens.service';
import { SigningKeysService } from './signing-keys.service';

type SigningKeys = Pick<
  SigningKeysService,
  'algorithm' | 'currentSigningKey' | 'verificationKey' | 'findVerificationKey'
>;

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
  redisKeyPrefix: 'portcullis:',
};

function authSettings(accessTokenTtl = 900): ConfigType<typeof authConfig> {
  return {
    jwtAlg: 'RS256',
    jwtSecret: undefined,
    accessTokenTtl,
    keyPublishDelay: 0,
    refreshIdleTtl: 7 * 86400,
    refreshReuseGrace: 0,
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

interface SigningSetup {
  alg: JwtAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('AccessTokensService', () => {
  let publicKey: KeyObject;
  let privateKey: KeyObject;
  /** The kids the service asked the key store about, in order. */
  let lookedUp: string[];
  /** The kids it asked the key store to reload for (kids this instance does not hold). */
  let reloadedFor: string[];

  beforeAll(() => {
    ({ publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  });

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
    lookedUp = [];
    reloadedFor = [];
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function service(
    accessTokenTtl?: number,
    signing: SigningSetup = { alg: 'RS256', privateKey, publicKey },
  ): AccessTokensService {
    const keys: SigningKeys = {
      algorithm: signing.alg,
      currentSigningKey: () => ({ kid: KID, alg: signing.alg, privateKey: signing.privateKey }),
      verificationKey: (kid: string) => {
        lookedUp.push(kid);
        return kid === KID ? signing.publicKey : undefined;
      },
      findVerificationKey: (kid: string) => {
        reloadedFor.push(kid);
        return Promise.resolve(undefined);
      },
    };
    // The constructor wants the class (it has private members); the fake has every member used.
    return new AccessTokensService(
      keys as unknown as SigningKeysService,
      app,
      authSettings(accessTokenTtl),
    );
  }

  /** An independent check of what the service signs, as a peer would make it. */
  async function verified(token: string): Promise<AccessTokenClaims> {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(NOW_MS),
    });
    return payload as unknown as AccessTokenClaims;
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

    it('issues tokens that its own verify accepts', async () => {
      const tokens = service();
      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      await expect(tokens.verify(accessToken)).resolves.toMatchObject({ sub: user().id });
    });
  });

  describe('verify', () => {
    function claims(overrides: JWTPayload = {}): JWTPayload {
      return {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'someone',
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 900,
        jti: 'jti-1',
        scope: 'profile',
        ...overrides,
      };
    }

    /** Signed with the service's own key: only what the test changes is wrong. */
    function signed(
      payload: JWTPayload = claims(),
      header: Partial<JWTHeaderParameters> = {},
      key: KeyObject = privateKey,
    ): Promise<string> {
      return new SignJWT(payload).setProtectedHeader({ ...VALID_HEADER, ...header }).sign(key);
    }

    async function expectRejected(token: string | Promise<string>): Promise<void> {
      await expect(service().verify(await token)).rejects.toThrow(RejectedTokenError);
    }

    it('returns the claims of a token signed with a known kid', async () => {
      await expect(service().verify(await signed())).resolves.toEqual(claims());
    });

    it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])(
      'accepts typ "%s" (media types compare ignoring case, RFC 9068 section 4)',
      async (typ) => {
        await expect(service().verify(await signed(claims(), { typ }))).resolves.toEqual(claims());
      },
    );

    it('asks the key store for the kid and finds a key it holds without a reload', async () => {
      await service().verify(await signed());

      expect(lookedUp).toEqual([KID]);
      expect(reloadedFor).toEqual([]);
    });

    it("reloads for a kid it does not hold, and accepts another instance's new key", async () => {
      const tokens = new AccessTokensService(
        {
          algorithm: 'RS256',
          verificationKey: () => undefined,
          findVerificationKey: (kid: string) =>
            Promise.resolve(kid === KID ? publicKey : undefined),
        } as Partial<SigningKeys> as unknown as SigningKeysService,
        app,
        authSettings(),
      );

      await expect(tokens.verify(await signed())).resolves.toEqual(claims());
    });

    describe('refuses from the header alone, without looking up a key', () => {
      afterEach(() => {
        expect(lookedUp).toEqual([]);
        expect(reloadedFor).toEqual([]);
      });

      it.each([
        ['without typ', { alg: 'RS256', kid: KID }],
        ['with typ "JWT" (an ID token or any other JWT)', { ...VALID_HEADER, typ: 'JWT' }],
        ['whose typ is not a string', { ...VALID_HEADER, typ: ['at+jwt'] }],
        ['with alg "none"', { ...VALID_HEADER, alg: 'none' }],
        // The classic confusion attack: an HMAC "signed" with the published RSA public key.
        ['with alg HS256 while RS256 is configured', { ...VALID_HEADER, alg: 'HS256' }],
        ['with alg ES256 while RS256 is configured', { ...VALID_HEADER, alg: 'ES256' }],
        ['without alg', { kid: KID, typ: 'at+jwt' }],
      ])('a token %s', async (_label, header) => {
        await expectRejected(tokenWithHeader(header));
      });

      it.each([
        ['a header that is base64url but not JSON', `${b64('{alg: RS256')}.${encode({})}.c2ln`],
        ['a JSON array header', `${encode(['at+jwt'])}.${encode({})}.c2ln`],
        ['a JSON null header', `${encode(null)}.${encode({})}.c2ln`],
        ['a header that is not base64url at all', '%%%not base64%%%.e30.c2ln'],
        ['an empty string', ''],
      ])('%s', async (_label, token) => {
        await expectRejected(token);
      });
    });

    it.each([
      ['an unknown kid', { kid: 'someone-elses-key' }],
      ['a kid that is not a string', { kid: 1 }],
      ['no kid', { kid: undefined }],
    ])('refuses a token with %s', async (_label, header) => {
      await expectRejected(tokenWithHeader({ ...VALID_HEADER, ...header }));
    });

    it('reloads the keys for an unknown kid before refusing it', async () => {
      await expectRejected(tokenWithHeader({ ...VALID_HEADER, kid: 'someone-elses-key' }));

      expect(reloadedFor).toEqual(['someone-elses-key']);
    });

    it('looks the kid up for every token, also when a token with that header verified before', async () => {
      const tokens = service();

      await tokens.verify(await signed());
      await tokens.verify(await signed(claims({ jti: 'jti-2' })));

      expect(lookedUp).toEqual([KID, KID]);
    });

    it('still refuses an altered token after one with the same header verified', async () => {
      const tokens = service();
      const [header, payload, signature] = (await signed()).split('.');
      await tokens.verify(`${header}.${payload}.${signature}`);

      await expect(
        tokens.verify(`${header}.${encode(claims({ sub: 'admin' }))}.${signature}`),
      ).rejects.toThrow(RejectedTokenError);
      await expect(tokens.verify(`${header}.${payload}`)).rejects.toThrow(RejectedTokenError);
    });

    it('refuses a token whose signature was altered', async () => {
      const [header, payload, signature] = (await signed()).split('.');
      const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

      await expectRejected(`${header}.${payload}.${flipped}`);
    });

    it('refuses a token whose payload was changed after signing', async () => {
      const [header, , signature] = (await signed()).split('.');

      await expectRejected(`${header}.${encode(claims({ sub: 'admin' }))}.${signature}`);
    });

    it('refuses a token signed by another key that claims the known kid', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

      await expectRejected(signed(claims(), {}, other));
    });

    it('accepts a token expired less than 30 seconds ago and refuses one expired longer', async () => {
      const tokens = service();

      await expect(tokens.verify(await signed(claims({ exp: NOW_SECONDS - 20 })))).resolves.toEqual(
        claims({ exp: NOW_SECONDS - 20 }),
      );
      await expectRejected(signed(claims({ exp: NOW_SECONDS - 40 })));
    });

    it('accepts nbf and iat up to 30 seconds ahead and refuses them further ahead', async () => {
      const tokens = service();

      await expect(tokens.verify(await signed(claims({ nbf: NOW_SECONDS + 20 })))).resolves.toEqual(
        claims({ nbf: NOW_SECONDS + 20 }),
      );
      await expect(tokens.verify(await signed(claims({ iat: NOW_SECONDS + 20 })))).resolves.toEqual(
        claims({ iat: NOW_SECONDS + 20 }),
      );
      await expectRejected(signed(claims({ nbf: NOW_SECONDS + 40 })));
      await expectRejected(signed(claims({ iat: NOW_SECONDS + 40 })));
    });

    it('refuses a token from another issuer', async () => {
      await expectRejected(signed(claims({ iss: 'https://evil.example.com' })));
    });

    it('refuses a token for another audience', async () => {
      await expectRejected(signed(claims({ aud: 'https://other-api.example.com' })));
    });

    it('accepts an aud list that names this audience and refuses one that does not', async () => {
      const both = claims({ aud: ['https://other-api.example.com', AUDIENCE] });

      await expect(service().verify(await signed(both))).resolves.toEqual(both);
      await expectRejected(signed(claims({ aud: ['https://other-api.example.com'] })));
    });

    it('refuses a token with a critical header parameter it does not understand', async () => {
      // Signed by hand: jose refuses to sign with an extension it does not know either.
      const input = `${encode({ ...VALID_HEADER, crit: ['exp-policy'], 'exp-policy': 1 })}.${encode(claims())}`;
      const signature = sign('sha256', Buffer.from(input), privateKey).toString('base64url');

      await expectRejected(`${input}.${signature}`);
    });

    it.each(['exp', 'iat', 'sub', 'jti', 'iss', 'aud'])(
      'refuses a token without %s',
      async (claim) => {
        const payload = claims();
        delete payload[claim];

        await expectRejected(signed(payload));
      },
    );

    it.each([
      ['sub', 42],
      ['jti', ['a']],
      ['exp', String(NOW_SECONDS + 900)],
      ['iat', String(NOW_SECONDS)],
      ['nbf', 'soon'],
    ])('refuses a token whose %s has the wrong type', async (claim, value) => {
      await expectRejected(signed(claims({ [claim]: value })));
    });
  });

  describe.each<[JwtAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }]>([
    ['EdDSA', () => generateKeyPairSync('ed25519')],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    [
      'HS256',
      () => {
        const secret = createSecretKey(randomBytes(32));
        return { privateKey: secret, publicKey: secret };
      },
    ],
  ])('with JWT_ALG=%s', (alg, keyPair) => {
    let signing: SigningSetup;

    beforeAll(() => {
      signing = { alg, ...keyPair() };
    });

    it('signs with that algorithm and verifies what it signed', async () => {
      const tokens = service(undefined, signing);
      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      expect(decode(accessToken.split('.')[0])).toEqual({ alg, kid: KID, typ: 'at+jwt' });
      await expect(tokens.verify(accessToken)).resolves.toMatchObject({
        sub: user().id,
        iss: ISSUER,
        aud: AUDIENCE,
      });
    });

    it('refuses an RS256 token, even one signed with a key the service holds', async () => {
      const rs256 = await service().issueForUser(user(), 'profile');

      await expect(service(undefined, signing).verify(rs256.accessToken)).rejects.toThrow(
        RejectedTokenError,
      );
    });
  });
});
