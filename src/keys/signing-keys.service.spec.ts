import { ConflictException, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, Repository } from 'typeorm';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { authConfig } from '../config/auth.config';
import { SecurityEvents } from '../events/security-events.service';
import { CLOCK_SKEW_SECONDS } from '../tokens/clock-skew';
import { SigningKey } from './entities/signing-key.entity';
import {
  KEY_RELOAD_INTERVAL_SECONDS,
  SigningKeysService,
  UNKNOWN_KID_RELOAD_SECONDS,
} from './signing-keys.service';

type AuthConfig = ConfigType<typeof authConfig>;

const TTL = 60;
/** How long after it stopped signing a key stays published. */
const GRACE_MS = (TTL + CLOCK_SKEW_SECONDS + KEY_RELOAD_INTERVAL_SECONDS) * 1000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** The audit log and metrics are the listeners' concern; rotation only announces itself. */
const events = { publish: () => Promise.resolve() } as unknown as SecurityEvents;

function settings(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    jwtAlg: 'RS256',
    jwtSecret: undefined,
    accessTokenTtl: TTL,
    keyPublishDelay: 0,
    refreshTokenTtl: 30 * 86400,
    refreshIdleTtl: 7 * 86400,
    refreshReuseGrace: 0,
    registrationEnabled: true,
    bootstrapAdmin: undefined,
    ...overrides,
  };
}

describe('SigningKeysService', () => {
  let database: MigratedDatabase;
  let dataSource: DataSource;
  let rows: Repository<SigningKey>;
  let started: SigningKeysService[];

  beforeEach(async () => {
    database = await openMigratedDatabase('sqlite');
    dataSource = database.dataSource;
    rows = dataSource.getRepository(SigningKey);
    started = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    await Promise.all(started.map((service) => service.onModuleDestroy()));
    await database.close();
  });

  async function instance(overrides: Partial<AuthConfig> = {}): Promise<SigningKeysService> {
    const service = new SigningKeysService(settings(overrides), rows, events);
    started.push(service);
    await service.onModuleInit();
    return service;
  }

  const kids = (service: SigningKeysService) => service.jwks().keys.map((key) => key.kid);

  describe('on first start', () => {
    it('stores one key pair and signs with it', async () => {
      const keys = await instance();

      const stored = await rows.find();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ alg: 'RS256', generation: 1, retiredAt: null });
      expect(keys.currentSigningKey()).toMatchObject({ kid: stored[0].kid, alg: 'RS256' });
      expect(kids(keys)).toEqual([stored[0].kid]);
    });

    it('agrees on one key with instances starting at the same moment', async () => {
      const instances = await Promise.all([instance(), instance(), instance()]);

      const [first, ...others] = instances.map((keys) => keys.currentSigningKey().kid);
      expect(others).toEqual([first, first]);
      await expect(rows.count()).resolves.toBe(1);
    });

    it.each([
      ['RS256', { kty: 'RSA' }],
      ['ES256', { kty: 'EC', crv: 'P-256' }],
      ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ] as const)('publishes the %s key with public members only', async (jwtAlg, members) => {
      const keys = await instance({ jwtAlg });

      const [jwk] = keys.jwks().keys;
      expect(jwk).toMatchObject({ ...members, alg: jwtAlg, use: 'sig' });
      for (const privateMember of PRIVATE_MEMBERS) {
        expect(jwk).not.toHaveProperty(privateMember);
      }
    });
  });

  describe('rotate', () => {
    it('signs with the new key at once and keeps the old one for verification and in the JWKS', async () => {
      const keys = await instance();
      const old = keys.currentSigningKey().kid;

      const { kid } = await keys.rotate({});

      expect(kid).not.toBe(old);
      expect(keys.currentSigningKey().kid).toBe(kid);
      expect(kids(keys)).toEqual([kid, old]);
      expect(keys.verificationKey(old)).toBeDefined();
      expect(keys.verificationKey(kid)).toBeDefined();
    });

    it('records the next generation and retires the old key from the moment the new one signs', async () => {
      const keys = await instance();
      const old = keys.currentSigningKey().kid;

      const { kid, activatesAt } = await keys.rotate({});

      await expect(rows.findOneByOrFail({ kid })).resolves.toMatchObject({
        generation: 2,
        activatesAt,
        retiredAt: null,
      });
      await expect(rows.findOneByOrFail({ kid: old })).resolves.toMatchObject({
        generation: 1,
        retiredAt: activatesAt,
      });
    });

    it('publishes the new key at once but signs with it only after KEY_PUBLISH_DELAY', async () => {
      const keys = await instance({ keyPublishDelay: 600 });
      const old = keys.currentSigningKey().kid;

      const { kid, activatesAt } = await keys.rotate({});

      expect(kids(keys)).toEqual([kid, old]);
      expect(keys.currentSigningKey().kid).toBe(old);
      jest.spyOn(Date, 'now').mockReturnValue(activatesAt.getTime());
      expect(keys.currentSigningKey().kid).toBe(kid);
    });

    it('drops the old key from the JWKS and from verification once its last token has expired', async () => {
      const keys = await instance();
      const old = keys.currentSigningKey().kid;
      const { kid, activatesAt } = await keys.rotate({});

      jest.spyOn(Date, 'now').mockReturnValue(activatesAt.getTime() + GRACE_MS - 1);
      expect(kids(keys)).toEqual([kid, old]);
      jest.spyOn(Date, 'now').mockReturnValue(activatesAt.getTime() + GRACE_MS);
      expect(kids(keys)).toEqual([kid]);
      expect(keys.verificationKey(old)).toBeUndefined();
    });

    it('gives rotations on two instances at the same moment distinct generations, and both agree on the newest', async () => {
      const [a, b] = await Promise.all([instance(), instance()]);

      const rotated = await Promise.all([a.rotate({}), b.rotate({})]);

      const stored = await rows.find({ order: { generation: 'ASC' } });
      expect(stored.map((key) => key.generation)).toEqual([1, 2, 3]);
      await Promise.all([a.refresh(), b.refresh()]);
      expect(a.currentSigningKey().kid).toBe(stored[2].kid);
      expect(b.currentSigningKey().kid).toBe(stored[2].kid);
      expect(rotated.map(({ kid }) => kid).sort()).toEqual([stored[1].kid, stored[2].kid].sort());
    });

    it('refuses with 409 under HS256, whose key is JWT_SECRET', async () => {
      const keys = await instance({ jwtAlg: 'HS256', jwtSecret: 'x'.repeat(16) + 'y'.repeat(16) });

      await expect(keys.rotate({})).rejects.toThrow(ConflictException);
      await expect(keys.rotate({})).rejects.toThrow(/JWT_SECRET/);
    });
  });

  describe('another instance on the same database', () => {
    it('signs with a key rotated elsewhere after its next reload, at most KEY_RELOAD_INTERVAL_SECONDS later', async () => {
      jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'setImmediate', 'queueMicrotask'] });
      const a = await instance();
      const b = await instance();
      const refresh = jest.spyOn(b, 'refresh');

      const { kid } = await a.rotate({});
      expect(b.currentSigningKey().kid).not.toBe(kid);
      await jest.advanceTimersByTimeAsync(KEY_RELOAD_INTERVAL_SECONDS * 1000);
      await Promise.all(refresh.mock.results.map((result) => result.value as Promise<void>));

      expect(refresh).toHaveBeenCalledTimes(1);
      expect(b.currentSigningKey().kid).toBe(kid);
      expect(kids(b)).toContain(kid);
    });

    it('reloads the keys when it meets an unknown kid, and then knows and signs with it', async () => {
      const a = await instance();
      const b = await instance();
      const { kid } = await a.rotate({});
      expect(b.verificationKey(kid)).toBeUndefined();

      await expect(b.findVerificationKey(kid)).resolves.toBeDefined();

      expect(b.currentSigningKey().kid).toBe(kid);
    });

    it(`reloads for unknown kids at most once per ${UNKNOWN_KID_RELOAD_SECONDS} seconds`, async () => {
      const keys = await instance();
      const find = jest.spyOn(rows, 'find');
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now);

      await Promise.all([
        keys.findVerificationKey('forged-1'),
        keys.findVerificationKey('forged-2'),
      ]);
      await keys.findVerificationKey('forged-3');
      expect(find).toHaveBeenCalledTimes(1);

      jest.spyOn(Date, 'now').mockReturnValue(now + UNKNOWN_KID_RELOAD_SECONDS * 1000);
      await keys.findVerificationKey('forged-4');
      expect(find).toHaveBeenCalledTimes(2);
    });

    it('does not reload for the kid of a key it dropped after retirement', async () => {
      const keys = await instance();
      const old = keys.currentSigningKey().kid;
      const { activatesAt } = await keys.rotate({});
      jest.spyOn(Date, 'now').mockReturnValue(activatesAt.getTime() + GRACE_MS);
      const find = jest.spyOn(rows, 'find');

      await expect(keys.findVerificationKey(old)).resolves.toBeUndefined();

      expect(find).not.toHaveBeenCalled();
    });
  });

  describe('the JWKS max-age', () => {
    it.each([
      [300, 0],
      [0, 5],
      [50, 60],
      [300, 310],
      [300, 3600],
    ])('is %i s with KEY_PUBLISH_DELAY=%i', async (maxAge, keyPublishDelay) => {
      const keys = await instance({ keyPublishDelay });

      expect(keys.jwksMaxAge()).toBe(maxAge);
    });
  });

  describe('with HS256', () => {
    it('signs and verifies with JWT_SECRET under a kid derived from it, and publishes nothing', async () => {
      const keys = await instance({ jwtAlg: 'HS256', jwtSecret: 's'.repeat(16) + 't'.repeat(16) });

      const { kid, privateKey } = keys.currentSigningKey();
      expect(privateKey.type).toBe('secret');
      expect(kid).toMatch(/^hs-/);
      expect(keys.verificationKey(kid)).toBe(privateKey);
      await expect(keys.findVerificationKey('hs-other')).resolves.toBeUndefined();
      expect(keys.jwks()).toEqual({ keys: [] });
      await expect(rows.count()).resolves.toBe(0);
    });
  });
});
