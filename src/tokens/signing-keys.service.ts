import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  JsonWebKey,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { isUniqueViolation } from '../database/constraint-violations';
import { exclusively } from '../database/exclusively';
import { JwtAlgorithm } from '../config/environment';
import { CLOCK_SKEW_SECONDS } from './clock-skew';
import { SigningKey } from './entities/signing-key.entity';

/** How often every instance reloads the keys, so that a rotation made by another one reaches it. */
export const KEY_RELOAD_INTERVAL_SECONDS = 10;

/** An unknown `kid` reloads the keys at most this often: forged kids must not hammer the database. */
export const UNKNOWN_KID_RELOAD_SECONDS = 5;

/** The JWKS `max-age`, unless KEY_PUBLISH_DELAY asks for less. */
export const JWKS_MAX_AGE_SECONDS = 300;

export interface ActiveSigningKey {
  kid: string;
  alg: JwtAlgorithm;
  privateKey: KeyObject;
}

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/** A key as this instance holds it between reloads; times in epoch milliseconds. */
interface HeldKey {
  kid: string;
  generation: number;
  activatesAt: number;
  /** When it stopped (or will stop) signing: its own record, or a successor's activation. */
  retiresAt: number | undefined;
  publicKey: KeyObject;
  jwk: PublicJwk;
  /** Only for the key that signs now and those waiting to. */
  privateKey: KeyObject | undefined;
}

function generateKeyPair(alg: AsymmetricAlgorithm): {
  publicKey: KeyObject;
  privateKey: KeyObject;
} {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** Of keys sorted newest generation first: the newest that has activated, else the first one. */
function signerAt<T extends { activatesAt: number }>(keys: T[], now: number): T | undefined {
  // The first key signs as soon as it exists, even for an instance whose clock runs behind the
  // one that created it.
  return keys.find((key) => key.activatesAt <= now) ?? keys.at(-1);
}

/**
 * The keys tokens are signed and verified with. Asymmetric keys live in the database, so every
 * instance signs with the same key and publishes the same JWKS; with HS256 the key is JWT_SECRET
 * and nothing is published. Each instance holds the keys in memory (parsed once: re-parsing a PEM
 * costs more than a signature), reloads them every KEY_RELOAD_INTERVAL_SECONDS, and on a `kid` it
 * does not know, so that a rotation made by another instance reaches it.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private secretKey: ActiveSigningKey | undefined;
  /** The keys that can still verify a live token, newest generation first. */
  private held: HeldKey[] = [];
  /** Every kid of the algorithm in the database, published or long retired. */
  private knownKids = new Set<string>();
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly loadsInFlight = new Set<Promise<void>>();
  private loadsStarted = 0;
  private latestLoadApplied = 0;
  private unknownKidReload: Promise<void> | undefined;
  private lastUnknownKidReloadAt = -Infinity;

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>,
  ) {}

  get algorithm(): JwtAlgorithm {
    return this.config.jwtAlg;
  }

  async onModuleInit(): Promise<void> {
    const alg = this.config.jwtAlg;
    if (alg === 'HS256') {
      const secret = createSecretKey(Buffer.from(this.config.jwtSecret ?? '', 'utf8'));
      // A kid derived from the secret lets a change of secret fail cleanly as an unknown key.
      const kid = `hs-${createHash('sha256').update(secret.export()).digest('base64url').slice(0, 16)}`;
      this.secretKey = { kid, alg, privateKey: secret };
      return;
    }
    await this.refresh();
    if (this.held.length === 0) {
      await this.createFirstKey(alg);
      await this.refresh();
    }
    // Fails the start, rather than the first login, when no key could be stored or read back.
    this.currentSigningKey();
    this.reloadTimer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.logger.warn(`Could not reload the signing keys: ${String(error)}`);
      });
    }, KEY_RELOAD_INTERVAL_SECONDS * 1000);
    this.reloadTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.reloadTimer);
    await Promise.allSettled(this.loadsInFlight);
  }

  /** Cheap: no database access, the switch to a key waiting out KEY_PUBLISH_DELAY included. */
  currentSigningKey(): ActiveSigningKey {
    if (this.secretKey) {
      return this.secretKey;
    }
    const key = signerAt(this.held, Date.now());
    if (!key?.privateKey) {
      throw new Error('No signing key is loaded');
    }
    return { kid: key.kid, alg: this.config.jwtAlg, privateKey: key.privateKey };
  }

  /** The key of `kid` as this instance knows it now; see findVerificationKey for other instances' keys. */
  verificationKey(kid: string): KeyObject | undefined {
    if (this.secretKey) {
      return kid === this.secretKey.kid ? this.secretKey.privateKey : undefined;
    }
    const now = Date.now();
    return this.held.find((key) => key.kid === kid && this.isPublished(key.retiresAt, now))
      ?.publicKey;
  }

  /** Like verificationKey, but a kid never seen here may be another instance's new key: reload. */
  async findVerificationKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.verificationKey(kid);
    if (known || this.secretKey || this.knownKids.has(kid)) {
      return known;
    }
    await this.reloadForUnknownKid();
    return this.verificationKey(kid);
  }

  /** The current key, keys waiting to sign, and retired keys whose tokens may still be alive. */
  jwks(): { keys: PublicJwk[] } {
    const now = Date.now();
    return {
      keys: this.held.filter((key) => this.isPublished(key.retiresAt, now)).map((key) => key.jwk),
    };
  }

  /**
   * A cache that honours it refetches the JWKS before a key published KEY_PUBLISH_DELAY ahead
   * starts signing (allowing for the other instances' reload interval). Without a delay, verifiers
   * rely on refetching when they meet an unknown kid, as jose's createRemoteJWKSet does.
   */
  jwksMaxAge(): number {
    const delay = this.config.keyPublishDelay;
    return delay === 0
      ? JWKS_MAX_AGE_SECONDS
      : Math.max(0, Math.min(JWKS_MAX_AGE_SECONDS, delay - KEY_RELOAD_INTERVAL_SECONDS));
  }

  /**
   * A new key of the next generation, signing after KEY_PUBLISH_DELAY; until then the current key
   * goes on signing, and from then on it is retired.
   */
  async rotate(): Promise<{ kid: string; activatesAt: Date }> {
    const alg = this.config.jwtAlg;
    if (alg === 'HS256') {
      throw new ConflictException(
        'With JWT_ALG=HS256 the signing key is JWT_SECRET, which comes from the environment of ' +
          'every instance and is never published, so the service cannot replace it. Rotate it by ' +
          'deploying a new JWT_SECRET; access tokens signed with the old one then stop working.',
      );
    }
    const activatesAt = new Date(Date.now() + this.config.keyPublishDelay * 1000);
    const { kid, generation } = await this.insertNextGeneration(alg, activatesAt);
    await this.keys.update(
      { alg, generation: LessThan(generation), retiredAt: IsNull() },
      { retiredAt: activatesAt },
    );
    await this.refresh();
    this.logger.log(
      `Rotated the ${alg} signing key: ${kid} signs from ${activatesAt.toISOString()}`,
    );
    return { kid, activatesAt };
  }

  /** Reads the keys from the database; what the reload timer and an unknown kid run. */
  async refresh(): Promise<void> {
    const load = this.load();
    this.loadsInFlight.add(load);
    try {
      await load;
    } finally {
      this.loadsInFlight.delete(load);
    }
  }

  private reloadForUnknownKid(): Promise<void> {
    if (this.unknownKidReload) {
      return this.unknownKidReload;
    }
    const now = Date.now();
    if (now - this.lastUnknownKidReloadAt < UNKNOWN_KID_RELOAD_SECONDS * 1000) {
      return Promise.resolve();
    }
    this.lastUnknownKidReloadAt = now;
    this.unknownKidReload = this.refresh().finally(() => {
      this.unknownKidReload = undefined;
    });
    return this.unknownKidReload;
  }

  /** Published until its last token has expired, counting the time other instances take to notice. */
  private isPublished(retiresAt: number | undefined, now: number): boolean {
    const graceSeconds =
      this.config.accessTokenTtl + CLOCK_SKEW_SECONDS + KEY_RELOAD_INTERVAL_SECONDS;
    return retiresAt === undefined || now < retiresAt + graceSeconds * 1000;
  }

  private async load(): Promise<void> {
    const started = ++this.loadsStarted;
    const alg = this.config.jwtAlg;
    const rows = await this.keys.find({ where: { alg }, order: { generation: 'DESC' } });
    const now = Date.now();

    let successorActivatesAt = Infinity;
    const timed = rows.map((row) => {
      const activatesAt = row.activatesAt.getTime();
      const retiresAt = Math.min(row.retiredAt?.getTime() ?? Infinity, successorActivatesAt);
      successorActivatesAt = Math.min(successorActivatesAt, activatesAt);
      return { row, activatesAt, retiresAt: Number.isFinite(retiresAt) ? retiresAt : undefined };
    });
    const signer = signerAt(timed, now);
    const mayStillSign = (generation: number) =>
      signer !== undefined && generation >= signer.row.generation;

    const previous = new Map(this.held.map((key) => [key.kid, key]));
    const live: HeldKey[] = [];
    for (const { row, activatesAt, retiresAt } of timed) {
      if (!mayStillSign(row.generation) && !this.isPublished(retiresAt, now)) {
        continue;
      }
      const known = previous.get(row.kid);
      const publicKey = known?.publicKey ?? createPublicKey(row.publicKeyPem);
      live.push({
        kid: row.kid,
        generation: row.generation,
        activatesAt,
        retiresAt,
        publicKey,
        jwk: known?.jwk ?? {
          ...publicKey.export({ format: 'jwk' }),
          kid: row.kid,
          alg,
          use: 'sig',
        },
        // Private keys only for the key signing now and those waiting to; retired ones stay on disk.
        privateKey: mayStillSign(row.generation) ? known?.privateKey : undefined,
      });
    }
    await this.loadPrivateKeys(
      live.filter((key) => mayStillSign(key.generation) && !key.privateKey),
    );

    // A slower, older load must not undo what a newer one (say, right after a rotation) found.
    if (started < this.latestLoadApplied) {
      return;
    }
    this.latestLoadApplied = started;
    this.held = live;
    this.knownKids = new Set(rows.map((row) => row.kid));
  }

  private async loadPrivateKeys(keys: HeldKey[]): Promise<void> {
    if (keys.length === 0) {
      return;
    }
    const rows = await this.keys.find({
      select: { kid: true, privateKeyPem: true },
      where: { kid: In(keys.map((key) => key.kid)) },
    });
    const pems = new Map(rows.map((row) => [row.kid, row.privateKeyPem]));
    for (const key of keys) {
      const pem = pems.get(key.kid);
      key.privateKey = pem === undefined ? undefined : createPrivateKey(pem);
    }
  }

  /**
   * First start. Instances starting together on an empty database all try generation 1; the
   * unique (alg, generation) index lets exactly one insert succeed, and all of them read it back.
   */
  private async createFirstKey(alg: AsymmetricAlgorithm): Promise<void> {
    try {
      await this.keys.insert({ ...this.newKey(alg), generation: 1, activatesAt: new Date() });
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
  }

  /**
   * The next generation, computed by the INSERT itself: concurrent rotations (any instances) each
   * get their own, in the order they were made, instead of racing for one.
   */
  private async insertNextGeneration(
    alg: AsymmetricAlgorithm,
    activatesAt: Date,
  ): Promise<{ kid: string; generation: number }> {
    const key = this.newKey(alg);
    await exclusively(this.keys.manager, 'portcullis.key-rotation', async (manager) => {
      const next = manager
        .createQueryBuilder(SigningKey, 'newest')
        .select('COALESCE(MAX(newest.generation), 0) + 1')
        .where('newest.alg = :alg')
        .getQuery();
      await manager
        .createQueryBuilder()
        .insert()
        .into(SigningKey)
        .values({ ...key, generation: () => `(${next})`, activatesAt, retiredAt: null })
        .setParameter('alg', alg)
        .execute();
    });
    const { generation } = await this.keys.findOneByOrFail({ kid: key.kid });
    return { kid: key.kid, generation };
  }

  private newKey(
    alg: AsymmetricAlgorithm,
  ): Pick<SigningKey, 'kid' | 'alg' | 'publicKeyPem' | 'privateKeyPem'> {
    const { publicKey, privateKey } = generateKeyPair(alg);
    return {
      kid: randomBytes(12).toString('base64url'),
      alg,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }
}
