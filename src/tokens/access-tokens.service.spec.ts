import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { JwtService } from '@nestjs/jwt';
import { JWTHeaderParameters, JWTPayload, jwtVerify, SignJWT } from 'jose';
import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  KeyObject,
  sign,
} from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { authSettings } from '../../test/utils/auth-settings';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { JwtAlgorithm } from '../config/environment';
import { Transactions } from '../database/transactions';
import { SecurityEvents } from '../events/security-events.service';
import { SigningKey } from '../keys/entities/signing-key.entity';
import { newSigningKey, NewSigningKey } from '../keys/key-material';
import { KeyRotationService } from '../keys/key-rotation.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { User } from '../users/entities/user.entity';
import { AccessTokenClaims, RejectedTokenError } from './access-token-claims';
import { AccessTokensService } from './access-tokens.service';
import { jwtOptions } from './jwt-options';

type AuthConfig = ConfigType<typeof authConfig>;

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
const OTHER_AUDIENCE = 'https://other-api.example.com';
/**
 * jsonwebtoken reads the time from Date.now(), which the tests fix, but jose (EdDSA) from
 * `new Date()`, which they cannot fix without breaking TypeORM: so the fixed time is the real one.
 */
const NOW_SECONDS = Math.floor(Date.now() / 1000);
/** Half-way through a second: `iat` is the whole second, rounded down. */
const NOW_MS = NOW_SECONDS * 1000 + 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HS256_SECRET = 'an HS256 secret of more than 32 bytes, for tests only';

const app: ConfigType<typeof appConfig> = {
  nodeEnv: 'test',
  port: 3000,
  host: '127.0.0.1',
  issuer: ISSUER,
  audience: AUDIENCE,
  redisUrl: undefined,
  redisKeyPrefix: 'portcullis:',
};

const events = new SecurityEvents(new EventEmitter2());

function user(tokenVersion = 0): User {
  return Object.assign(new User(), {
    id: '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11',
    username: 'ada',
    roles: ['user', 'admin'],
    tokenVersion,
  });
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const headerOf = (token: string): unknown =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
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

/** The signing key as a peer gets it, from the JWKS. */
const publishedKey = async (keys: SigningKeysService) =>
  createPublicKey({ key: (await keys.publishedKeys()).keys[0], format: 'jwk' });

describe('AccessTokensService', () => {
  let database: MigratedDatabase;
  let dataSource: DataSource;
  let rows: Repository<SigningKey>;
  let started: SigningKeysService[];
  let transactions: Transactions;
  let storedKeys: NewSigningKey[];

  beforeAll(async () => {
    storedKeys = await Promise.all([newSigningKey('RS256'), newSigningKey('RS256')]);
  });

  beforeEach(async () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    database = await openMigratedDatabase('sqlite');
    dataSource = database.dataSource;
    rows = dataSource.getRepository(SigningKey);
    transactions = new Transactions(dataSource);
    // RSA keys are slow to make; starting with keys already stored is what every restart does.
    const [current, next] = storedKeys;
    await rows.insert({ ...current, generation: 1, createdAt: new Date(NOW_MS - 60_000) });
    await rows.insert({ ...next, generation: 2, createdAt: new Date(NOW_MS) });
    started = [];
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(started.map((keys) => keys.onModuleDestroy()));
    await transactions.onApplicationShutdown();
    await database.close();
  });

  /** One instance of the service, built and started as Nest does, on the shared database. */
  async function instance(overrides: Partial<AuthConfig> = {}): Promise<{
    keys: SigningKeysService;
    rotation: KeyRotationService;
    tokens: AccessTokensService;
  }> {
    const settings = authSettings({ jwtAlg: 'RS256', ...overrides });
    const keys = new SigningKeysService(settings, rows);
    started.push(keys);
    await keys.onModuleInit();
    const jwt = new JwtService(jwtOptions(keys));
    return {
      keys,
      rotation: new KeyRotationService(settings, app, keys, transactions, events),
      tokens: new AccessTokensService(keys, jwt, app, settings),
    };
  }

  describe('issueForUser', () => {
    let keys: SigningKeysService;
    let tokens: AccessTokensService;

    beforeEach(async () => {
      ({ keys, tokens } = await instance());
    });

    /** An independent check of what the service signs, as a peer would make it. */
    async function verified(token: string): Promise<AccessTokenClaims> {
      const { payload } = await jwtVerify(token, await publishedKey(keys), {
        algorithms: ['RS256'],
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(NOW_MS),
      });
      return payload as unknown as AccessTokenClaims;
    }

    it('puts {alg, kid, typ: "at+jwt"} and nothing else in the header', async () => {
      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      const { kid } = keys.currentSigningKey();
      expect(headerOf(accessToken)).toEqual({ alg: 'RS256', kid, typ: 'at+jwt' });
    });

    it('signs iss, aud, sub, iat, exp, jti, scope, roles, preferred_username and token_version', async () => {
      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      const signed = await verified(accessToken);

      expect(signed.jti).toMatch(UUID);
      expect(signed).toEqual({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: user().id,
        iat: NOW_SECONDS,
        exp: NOW_SECONDS + 900,
        jti: signed.jti,
        scope: 'profile',
        roles: ['user', 'admin'],
        preferred_username: 'ada',
        token_version: 0,
      });
    });

    it('answers expires_in as the configured lifetime and echoes the scope', async () => {
      const issued = await (
        await instance({ accessTokenTtl: 300 })
      ).tokens.issueForUser(user(), 'profile');

      expect(issued).toEqual({ accessToken: issued.accessToken, expiresIn: 300, scope: 'profile' });
      await expect(verified(issued.accessToken)).resolves.toMatchObject({ exp: NOW_SECONDS + 300 });
    });

    it('answers the whole lifetime when the signing ends in the next second', async () => {
      const lastMillisecond = (NOW_SECONDS + 1) * 1000 - 1;
      let readings = 0;
      const clock = jest
        .spyOn(Date, 'now')
        .mockImplementation(() => lastMillisecond + (readings++ === 0 ? 0 : 2));
      try {
        const issued = await tokens.issueForUser(user(), 'profile');
        expect(issued.expiresIn).toBe(900);
      } finally {
        clock.mockRestore();
      }
    });

    it('gives every token its own jti', async () => {
      const first = await tokens.issueForUser(user(), 'profile');
      const second = await tokens.issueForUser(user(), 'profile');

      const [a, b] = await Promise.all([verified(first.accessToken), verified(second.accessToken)]);
      expect(a.jti).not.toBe(b.jti);
    });

    it("carries the user's tokenVersion, so a password change can revoke it", async () => {
      const { accessToken } = await tokens.issueForUser(user(7), 'profile');

      await expect(verified(accessToken)).resolves.toMatchObject({ token_version: 7 });
    });

    it('signs the very same token again for the same planned jti and iat', async () => {
      const planned = { jti: 'planned-jti', iat: NOW_SECONDS - 10 };

      const first = await tokens.issueForUser(user(), 'profile', { planned });
      const second = await tokens.issueForUser(user(), 'profile', { planned });

      expect(second).toEqual(first);
      expect(first.expiresIn).toBe(890);
      await expect(verified(first.accessToken)).resolves.toMatchObject({
        jti: 'planned-jti',
        iat: NOW_SECONDS - 10,
        exp: NOW_SECONDS + 890,
      });
    });
  });

  describe('verify', () => {
    let keys: SigningKeysService;
    let tokens: AccessTokensService;
    let kid: string;
    let privateKey: KeyObject;

    beforeEach(async () => {
      ({ keys, tokens } = await instance());
      ({ kid, privateKey } = keys.currentSigningKey());
    });

    /** Signed with the service's own key: only what the test changes is wrong. */
    function signed(
      payload: JWTPayload = claims(),
      header: Partial<JWTHeaderParameters> = {},
      key: KeyObject = privateKey,
    ): Promise<string> {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt', ...header })
        .sign(key);
    }

    /** Signed by hand with the service's own key, for headers jose will not write. */
    function signedWithHeader(header: Record<string, unknown>): string {
      const input = `${encode({ alg: 'RS256', kid, typ: 'at+jwt', ...header })}.${encode(claims())}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    }

    async function expectRejected(token: string | Promise<string>): Promise<void> {
      await expect(tokens.verify(await token)).rejects.toThrow(RejectedTokenError);
    }

    it('returns the claims of a token signed with a known kid, without reloading the keys', async () => {
      const lookup = jest.spyOn(keys, 'findVerificationKey');
      const reload = jest.spyOn(keys, 'refresh');

      await expect(tokens.verify(await signed())).resolves.toEqual(claims());

      expect(lookup).toHaveBeenCalledWith(kid);
      expect(reload).not.toHaveBeenCalled();
    });

    it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])(
      'accepts typ "%s" (media types compare ignoring case, RFC 9068 section 4)',
      async (typ) => {
        await expect(tokens.verify(await signed(claims(), { typ }))).resolves.toEqual(claims());
      },
    );

    it('accepts a token signed with the key another instance promoted, without a reload', async () => {
      const other = await instance();
      const rotated = await other.rotation.rotate({});
      const { accessToken } = await other.tokens.issueForUser(user(), 'profile');
      const reload = jest.spyOn(keys, 'refresh');

      expect(headerOf(accessToken)).toMatchObject({ kid: rotated.kid });
      await expect(tokens.verify(accessToken)).resolves.toMatchObject({ sub: user().id });
      expect(reload).not.toHaveBeenCalled();
    });

    describe('refuses from the header alone, without looking up a key', () => {
      let lookup: jest.SpiedFunction<SigningKeysService['findVerificationKey']>;

      beforeEach(() => {
        lookup = jest.spyOn(keys, 'findVerificationKey');
      });

      afterEach(() => {
        expect(lookup).not.toHaveBeenCalled();
      });

      it.each([
        ['without typ', { typ: undefined }],
        ['with typ "JWT" (an ID token or any other JWT)', { typ: 'JWT' }],
        ['whose typ is not a string', { typ: ['at+jwt'] }],
        ['with alg ES256 while RS256 is configured', { alg: 'ES256' }],
        ['without alg', { alg: undefined }],
        ['without kid', { kid: undefined }],
        ['whose kid is not a string', { kid: 1 }],
        // RFC 7515 section 4.1.11: an extension the service does not understand.
        ['with a critical header parameter', { crit: ['exp-policy'], 'exp-policy': 1 }],
      ])('a token %s', async (_label, header) => {
        await expectRejected(signedWithHeader(header));
      });

      it('a token with alg "none"', async () => {
        await expectRejected(`${encode({ alg: 'none', kid, typ: 'at+jwt' })}.${encode(claims())}.`);
      });

      it('a token with alg HS256 keyed with the published RSA public key', async () => {
        const publicPem = (await publishedKey(keys)).export({ type: 'spki', format: 'pem' });

        await expectRejected(
          signed(claims(), { alg: 'HS256' }, createSecretKey(Buffer.from(publicPem))),
        );
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

    it('reloads the keys once for an unknown kid, then refuses it', async () => {
      const reload = jest.spyOn(keys, 'refresh');

      await expectRejected(signed(claims(), { kid: 'someone-elses-key' }));

      expect(reload).toHaveBeenCalledTimes(1);
    });

    it('refuses a token whose payload was changed, also right after the original verified', async () => {
      const lookup = jest.spyOn(keys, 'findVerificationKey');
      const [header, payload, signature] = (await signed()).split('.');
      await tokens.verify(`${header}.${payload}.${signature}`);
      const lookupsOfOne = lookup.mock.calls.length;

      await expectRejected(`${header}.${encode(claims({ sub: 'admin' }))}.${signature}`);
      // Nothing carries over from the first: the key is looked up again.
      expect(lookup).toHaveBeenCalledTimes(2 * lookupsOfOne);
      await expectRejected(`${header}.${payload}`);
    });

    it('refuses a token signed by another key that claims the known kid', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

      await expectRejected(signed(claims(), {}, other));
    });

    it.each([
      ['with exp 29 seconds ago', { exp: NOW_SECONDS - 29 }],
      ['with nbf 30 seconds ahead', { nbf: NOW_SECONDS + 30 }],
      ['with iat 30 seconds ahead', { iat: NOW_SECONDS + 30 }],
      ['whose aud list names this audience', { aud: [OTHER_AUDIENCE, AUDIENCE] }],
    ])('accepts a token %s', async (_label, overrides) => {
      await expect(tokens.verify(await signed(claims(overrides)))).resolves.toEqual(
        claims(overrides),
      );
    });

    it.each<[string, Record<string, unknown>]>([
      // 30 seconds of clock skew, and not one more.
      ['with exp 30 seconds ago', { exp: NOW_SECONDS - 30 }],
      ['with nbf 31 seconds ahead', { nbf: NOW_SECONDS + 31 }],
      ['with iat 31 seconds ahead', { iat: NOW_SECONDS + 31 }],
      ['from another issuer', { iss: 'https://evil.example.com' }],
      ['for another audience', { aud: OTHER_AUDIENCE }],
      ['whose aud list does not name this audience', { aud: [OTHER_AUDIENCE] }],
      ['without exp', { exp: undefined }],
      ['without iat', { iat: undefined }],
      ['without sub', { sub: undefined }],
      ['without jti', { jti: undefined }],
      ['without scope', { scope: undefined }],
      ['without iss', { iss: undefined }],
      ['without aud', { aud: undefined }],
      ['whose sub is a number', { sub: 42 }],
      ['whose jti is an array', { jti: ['a'] }],
      ['whose exp is a string', { exp: String(NOW_SECONDS + 900) }],
      ['whose iat is a string', { iat: String(NOW_SECONDS) }],
      ['whose nbf is a string', { nbf: 'soon' }],
      ['whose token_version is a string', { token_version: '7' }],
    ])('refuses a token %s', async (_label, overrides) => {
      await expectRejected(signed(claims(overrides)));
    });

    it('claimsOf returns the claims of a valid token, and undefined for a refused one', async () => {
      await expect(tokens.claimsOf(await signed())).resolves.toEqual(claims());
      await expect(
        tokens.claimsOf(await signed(claims({ iss: 'https://evil.example.com' }))),
      ).resolves.toBeUndefined();
      await expect(tokens.claimsOf('not a token')).resolves.toBeUndefined();
    });

    describe('when the keys cannot be reloaded', () => {
      const outage = new Error('the database is unreachable');

      beforeEach(() => {
        jest.spyOn(rows, 'find').mockRejectedValue(outage);
      });

      it('verify rejects with the database error for an unknown kid, not as a refused token', async () => {
        await expect(tokens.verify(await signed(claims(), { kid: 'new-key' }))).rejects.toBe(
          outage,
        );
      });

      it('claimsOf throws the database error, rather than calling the token invalid', async () => {
        await expect(tokens.claimsOf(await signed(claims(), { kid: 'new-key' }))).rejects.toBe(
          outage,
        );
      });
    });
  });

  describe.each<JwtAlgorithm>(['RS256', 'ES256', 'EdDSA', 'HS256'])('with JWT_ALG=%s', (jwtAlg) => {
    const settings = jwtAlg === 'HS256' ? { jwtAlg, jwtSecret: HS256_SECRET } : { jwtAlg };
    const otherAlg = jwtAlg === 'RS256' ? 'ES256' : 'RS256';

    it('signs with that algorithm and verifies what it signed', async () => {
      const { keys, tokens } = await instance(settings);

      const { accessToken } = await tokens.issueForUser(user(), 'profile');

      const { kid } = keys.currentSigningKey();
      expect(headerOf(accessToken)).toEqual({ alg: jwtAlg, kid, typ: 'at+jwt' });
      await expect(tokens.verify(accessToken)).resolves.toMatchObject({
        sub: user().id,
        iss: ISSUER,
        aud: AUDIENCE,
      });
    });

    it('refuses what it signed once the signature is altered', async () => {
      const { tokens } = await instance(settings);
      const { accessToken } = await tokens.issueForUser(user(), 'profile');
      const [header, payload, signature] = accessToken.split('.');
      const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

      await expect(tokens.verify(`${header}.${payload}.${flipped}`)).rejects.toThrow(
        RejectedTokenError,
      );
    });

    it('refuses a token whose signature has the wrong length', async () => {
      const { tokens } = await instance(settings);
      const { accessToken } = await tokens.issueForUser(user(), 'profile');
      const [header, payload] = accessToken.split('.');

      await expect(tokens.claimsOf(`${header}.${payload}.AAAA`)).resolves.toBeUndefined();
    });

    it('refuses a token from another issuer or audience, or outside its lifetime', async () => {
      const { keys, tokens } = await instance(settings);
      const { kid, privateKey } = keys.currentSigningKey();
      // Well past the skew: jose, under EdDSA, reads the real clock, not the mocked Date.now().
      for (const overrides of [
        { iss: 'https://evil.example.com' },
        { aud: OTHER_AUDIENCE },
        { exp: NOW_SECONDS - 60 },
        { nbf: NOW_SECONDS + 60 },
      ]) {
        const token = await new SignJWT(claims(overrides))
          .setProtectedHeader({ alg: jwtAlg, kid, typ: 'at+jwt' })
          .sign(privateKey);
        await expect(tokens.verify(token)).rejects.toThrow(RejectedTokenError);
      }
    });

    it(`refuses a token signed with ${otherAlg}, even one naming its own kid`, async () => {
      const { keys, tokens } = await instance(settings);
      const other = await instance({ jwtAlg: otherAlg });
      const forged = await new SignJWT(claims())
        .setProtectedHeader({ alg: otherAlg, kid: keys.currentSigningKey().kid, typ: 'at+jwt' })
        .sign(other.keys.currentSigningKey().privateKey);

      await expect(tokens.verify(forged)).rejects.toThrow(RejectedTokenError);
    });
  });
});
