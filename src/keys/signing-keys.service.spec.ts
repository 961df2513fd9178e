import { ConflictException, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource, Repository } from 'typeorm';
import { authSettings } from '../../test/utils/auth-settings';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { Transactions } from '../database/transactions';
import { SECURITY_EVENT, SecurityEvent } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { CLOCK_SKEW_SECONDS } from '../tokens/clock-skew';
import { SigningKey } from './entities/signing-key.entity';
import { newSigningKey } from './key-material';
import { KeyRotationService } from './key-rotation.service';
import { SigningKeysService, UNKNOWN_KID_RELOAD_SECONDS } from './signing-keys.service';

type AuthConfig = ConfigType<typeof authConfig>;

const TTL = 60;
const RELOAD_SECONDS = 10;
/** How long after it stopped signing a key stays published. */
const GRACE_MS = (TTL + CLOCK_SKEW_SECONDS + RELOAD_SECONDS) * 1000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

const app: ConfigType<typeof appConfig> = {
  nodeEnv: 'test',
  port: 3000,
  host: '127.0.0.1',
  issuer: 'https://auth.example.com',
  audience: 'https://auth.example.com',
  redisUrl: undefined,
  redisKeyPrefix: 'portcullis:',
};

interface Instance {
  keys: SigningKeysService;
  rotation: KeyRotationService;
}

const databases: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (process.env.TEST_DATABASE_URL) {
  databases.push('postgres');
}

describe.each(databases)('signing keys on %s', (type) => {
  let database: MigratedDatabase;
  let dataSource: DataSource;
  let rows: Repository<SigningKey>;
  let started: Instance[];
  let rotations: SecurityEvent[];
  let events: SecurityEvents;
  let transactions: Transactions;

  beforeEach(async () => {
    database = await openMigratedDatabase(type);
    dataSource = database.dataSource;
    rows = dataSource.getRepository(SigningKey);
    transactions = new Transactions(dataSource);
    started = [];
    rotations = [];
    const emitter = new EventEmitter2();
    emitter.on(SECURITY_EVENT, (event: SecurityEvent) => rotations.push(event));
    events = new SecurityEvents(emitter);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    for (const { keys, rotation } of started) {
      await rotation.onModuleDestroy();
      await keys.onModuleDestroy();
    }
    await transactions.onApplicationShutdown();
    await database.close();
  });

  /** One instance, started as Nest starts it, on the shared database. */
  async function instance(overrides: Partial<AuthConfig> = {}): Promise<Instance> {
    const auth = authSettings({
      accessTokenTtl: TTL,
      keyReloadInterval: RELOAD_SECONDS,
      ...overrides,
    });
    const keys = new SigningKeysService(auth, rows);
    const rotation = new KeyRotationService(auth, app, keys, transactions, events);
    started.push({ keys, rotation });
    await keys.onModuleInit();
    await rotation.onApplicationBootstrap();
    return { keys, rotation };
  }

  const kids = async (keys: SigningKeysService) =>
    (await keys.publishedKeys()).keys.map((key) => key.kid);
  const stored = () => rows.find({ order: { generation: 'ASC' } });

  describe('on first start', () => {
    it('stores a key that signs and a next key that is published but does not sign', async () => {
      const { keys } = await instance({ jwtAlg: 'RS256' });

      const [current, next] = await stored();
      expect(await rows.count()).toBe(2);
      expect(current).toMatchObject({ alg: 'RS256', generation: 1, activatesAt: null });
      expect(next).toMatchObject({ alg: 'RS256', generation: 2, activatesAt: null });
      expect(keys.currentSigningKey()).toMatchObject({ kid: current.kid, alg: 'RS256' });
      expect(keys.nextKey()).toMatchObject({ kid: next.kid, generation: 2 });
      expect(await kids(keys)).toEqual([current.kid, next.kid]);
    });

    it('agrees on the same two keys with instances starting at the same moment', async () => {
      const instances = await Promise.all([instance(), instance(), instance()]);

      const [current, next] = await stored();
      await expect(rows.count()).resolves.toBe(2);
      for (const { keys } of instances) {
        expect(keys.currentSigningKey().kid).toBe(current.kid);
        expect(keys.nextKey()?.kid).toBe(next.kid);
      }
    });

    it.each([
      ['RS256', { kty: 'RSA' }],
      ['ES256', { kty: 'EC', crv: 'P-256' }],
      ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ] as const)('publishes the %s keys with public members only', async (jwtAlg, members) => {
      const { keys } = await instance({ jwtAlg });

      const published = (await keys.publishedKeys()).keys;
      expect(published).toHaveLength(2);
      for (const jwk of published) {
        expect(jwk).toMatchObject({ ...members, alg: jwtAlg, use: 'sig' });
        for (const privateMember of PRIVATE_MEMBERS) {
          expect(jwk).not.toHaveProperty(privateMember);
        }
      }
    });
  });

  describe('with keys made before next keys existed', () => {
    async function storeSigningKey(generation: number, activatesAt: Date): Promise<string> {
      const key = await newSigningKey('ES256');
      await rows.insert({ ...key, generation, activatesAt });
      return key.kid;
    }

    it('keeps signing with the key that signed, and publishes one next key, whoever starts', async () => {
      await storeSigningKey(1, new Date(Date.now() - 3_600_000));
      const signing = await storeSigningKey(2, new Date(Date.now() - 60_000));

      const instances = await Promise.all([instance(), instance(), instance()]);

      const all = await stored();
      expect(all.map((key) => key.generation)).toEqual([1, 2, 3]);
      expect(all[2].activatesAt).toBeNull();
      for (const { keys } of instances) {
        expect(keys.currentSigningKey().kid).toBe(signing);
        expect(keys.nextKey()?.kid).toBe(all[2].kid);
      }
    });

    it('lets a key waiting for its activation time start then', async () => {
      const signing = await storeSigningKey(1, new Date(Date.now() - 60_000));
      const activatesAt = Date.now() + 600_000;
      const waiting = await storeSigningKey(2, new Date(activatesAt));

      const { keys } = await instance();

      expect(keys.currentSigningKey().kid).toBe(signing);
      expect(await kids(keys)).toEqual([signing, expect.any(String), waiting]);
      jest.spyOn(Date, 'now').mockReturnValue(activatesAt);
      expect(keys.currentSigningKey().kid).toBe(waiting);
    });
  });

  describe('rotate', () => {
    it('promotes the published next key, publishes a new next key, and keeps the old key', async () => {
      const { keys, rotation } = await instance();
      const old = keys.currentSigningKey().kid;
      const next = keys.nextKey();
      const before = await kids(keys);

      const { kid } = await rotation.rotate({ actorId: 'admin-1' });

      expect(kid).toBe(next?.kid);
      expect(before).toContain(kid);
      expect(keys.currentSigningKey().kid).toBe(kid);
      const fresh = keys.nextKey();
      expect(fresh?.kid).not.toBe(kid);
      expect(await kids(keys)).toEqual([kid, fresh?.kid, old]);
      expect(keys.verificationKey(old)).toBeDefined();
      expect(rotations).toEqual([
        { type: 'key_rotated', context: undefined, detail: { kid, actorId: 'admin-1' } },
      ]);
    });

    it('is one row: the new next key, a generation above the one it promotes', async () => {
      const { rotation } = await instance();
      const startedAt = Date.now();

      await rotation.rotate({});

      const all = await stored();
      expect(all.map((key) => [key.generation, key.activatesAt])).toEqual([
        [1, null],
        [2, null],
        [3, null],
      ]);
      expect(all[2].createdAt.getTime()).toBeGreaterThanOrEqual(startedAt);
    });

    it('drops the old key from the JWKS and from verification once its last token has expired', async () => {
      const { keys, rotation } = await instance();
      const old = keys.currentSigningKey().kid;
      const rotatedAt = Date.now();
      const { kid } = await rotation.rotate({});
      const next = keys.nextKey();
      const stoppedSigning = (await rows.findOneByOrFail({ kid: next?.kid })).createdAt.getTime();
      expect(stoppedSigning).toBeGreaterThanOrEqual(rotatedAt);

      jest.spyOn(Date, 'now').mockReturnValue(stoppedSigning + GRACE_MS - 1);
      expect(await kids(keys)).toEqual([kid, next?.kid, old]);
      jest.spyOn(Date, 'now').mockReturnValue(stoppedSigning + GRACE_MS);
      expect(await kids(keys)).toEqual([kid, next?.kid]);
      expect(keys.verificationKey(old)).toBeUndefined();
    });

    it('promotes one key per rotation when two instances rotate at the same moment', async () => {
      const [a, b] = await Promise.all([instance(), instance()]);
      const [, second] = await stored();

      const rotated = await Promise.all([a.rotation.rotate({}), b.rotation.rotate({})]);

      const all = await stored();
      expect(all.map((key) => key.generation)).toEqual([1, 2, 3, 4]);
      expect(rotated.map(({ kid }) => kid).sort()).toEqual([second.kid, all[2].kid].sort());
      await Promise.all([a.keys.refresh(), b.keys.refresh()]);
      for (const { keys } of [a, b]) {
        expect(keys.currentSigningKey().kid).toBe(all[2].kid);
        expect(keys.nextKey()?.kid).toBe(all[3].kid);
      }
    });

    it('refuses with 409 under HS256, whose key is JWT_SECRET', async () => {
      const { rotation } = await instance({
        jwtAlg: 'HS256',
        jwtSecret: 'x'.repeat(16) + 'y'.repeat(16),
      });

      await expect(rotation.rotate({})).rejects.toThrow(ConflictException);
      await expect(rotation.rotate({})).rejects.toThrow(/JWT_SECRET/);
    });
  });

  describe('another instance on the same database', () => {
    it('verifies tokens of the key promoted elsewhere without reading the keys again', async () => {
      const a = await instance();
      const b = await instance();
      const find = jest.spyOn(rows, 'find');

      const { kid } = await a.rotation.rotate({});
      find.mockClear();

      await expect(b.keys.findVerificationKey(kid)).resolves.toBeDefined();
      expect(find).not.toHaveBeenCalled();
    });

    it('signs with a key promoted elsewhere after its next reload, KEY_RELOAD_INTERVAL later', async () => {
      jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'setImmediate', 'queueMicrotask'] });
      const a = await instance();
      const b = await instance();
      const refresh = jest.spyOn(b.keys, 'refresh');

      const { kid } = await a.rotation.rotate({});
      expect(b.keys.currentSigningKey().kid).not.toBe(kid);
      await jest.advanceTimersByTimeAsync(RELOAD_SECONDS * 1000);
      await Promise.all(refresh.mock.results.map((result) => result.value as Promise<void>));

      expect(refresh).toHaveBeenCalledTimes(1);
      expect(b.keys.currentSigningKey().kid).toBe(kid);
    });

    it('reloads the keys when it meets an unknown kid, and then knows and signs with it', async () => {
      const a = await instance();
      const b = await instance();
      await a.rotation.rotate({});
      // Published after b last read the keys.
      const { kid } = await a.rotation.rotate({});
      expect(b.keys.verificationKey(kid)).toBeUndefined();

      await expect(b.keys.findVerificationKey(kid)).resolves.toBeDefined();

      expect(b.keys.currentSigningKey().kid).toBe(kid);
    });

    it(`reloads for unknown kids at most once per ${UNKNOWN_KID_RELOAD_SECONDS} seconds`, async () => {
      const { keys } = await instance();
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
      const { keys, rotation } = await instance();
      const old = keys.currentSigningKey().kid;
      await rotation.rotate({});
      jest.spyOn(Date, 'now').mockReturnValue(Date.now() + GRACE_MS + 1000);
      await keys.refresh();
      const find = jest.spyOn(rows, 'find');

      await expect(keys.findVerificationKey(old)).resolves.toBeUndefined();

      expect(find).not.toHaveBeenCalled();
    });
  });

  describe('the JWKS', () => {
    it('has the keys a rotation on another instance made, without waiting for a reload', async () => {
      const a = await instance();
      const b = await instance();

      await a.rotation.rotate({});

      expect(await kids(b.keys)).toEqual(await kids(a.keys));
    });

    it.each([
      [0, 0],
      [999, 0],
      [1000, 1],
      [299_999, 299],
      [300_000, 300],
      [86_400_000, 300],
    ])(
      'is cacheable for the whole seconds the next key has been published: %i ms, max-age %i',
      async (publishedForMs, maxAge) => {
        const { keys } = await instance();
        const publishedAt = keys.nextKey()?.publishedAt ?? NaN;

        jest.spyOn(Date, 'now').mockReturnValue(publishedAt + publishedForMs);

        expect((await keys.publishedKeys()).maxAge).toBe(maxAge);
      },
    );

    it('is served from memory, uncacheable, while the database cannot be read', async () => {
      const { keys } = await instance();
      const published = (await keys.publishedKeys()).keys;
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      await dataSource.destroy();
      try {
        await expect(keys.publishedKeys()).resolves.toEqual({ keys: published, maxAge: 0 });
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^Serving the signing keys/));
      } finally {
        await dataSource.initialize();
      }
    });
  });

  describe('with HS256', () => {
    it('signs and verifies with JWT_SECRET under a kid derived from it, and publishes nothing', async () => {
      const { keys } = await instance({
        jwtAlg: 'HS256',
        jwtSecret: 's'.repeat(16) + 't'.repeat(16),
      });

      const { kid, privateKey } = keys.currentSigningKey();
      expect(privateKey.type).toBe('secret');
      expect(kid).toMatch(/^hs-/);
      expect(keys.verificationKey(kid)).toBe(privateKey);
      await expect(keys.findVerificationKey('hs-other')).resolves.toBeUndefined();
      await expect(keys.publishedKeys()).resolves.toEqual({ keys: [], maxAge: 300 });
      await expect(rows.count()).resolves.toBe(0);
    });
  });
});
