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
import { decodeProtectedHeader, ProtectedHeaderParameters } from 'jose';
import { KeyObject } from 'node:crypto';
import { IsNull, LessThan, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { JwtAlgorithm } from '../config/environment';
import { isUniqueViolation } from '../database/constraint-violations';
import { exclusively } from '../database/exclusively';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { ACCESS_TOKEN_TYPE, RejectedTokenError } from '../tokens/access-token-claims';
import { CLOCK_SKEW_SECONDS } from '../tokens/clock-skew';
import { SigningKey } from './entities/signing-key.entity';
import {
  ActiveSigningKey,
  AsymmetricAlgorithm,
  newSigningKey,
  sharedSecretKey,
} from './key-material';
import { KeyRing, PublicJwk } from './key-ring';

export const KEY_RELOAD_INTERVAL_SECONDS = 10;

/** An unknown `kid` reloads the keys at most this often: forged kids must not hammer the database. */
export const UNKNOWN_KID_RELOAD_SECONDS = 5;

export const JWKS_MAX_AGE_SECONDS = 300;

// Asymmetric keys live in the database, so every instance signs with the same key; each holds them
// parsed in memory (parsing a PEM costs more than a signature). With HS256 the key is JWT_SECRET.
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private secretKey: ActiveSigningKey | undefined;
  private ring = KeyRing.EMPTY;
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly loadsInFlight = new Set<Promise<void>>();
  private loadsStarted = 0;
  private latestLoadApplied = 0;
  private unknownKidReload: Promise<void> | undefined;
  private lastUnknownKidReloadAt = -Infinity;

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>,
    private readonly events: SecurityEvents,
  ) {}

  get algorithm(): JwtAlgorithm {
    return this.config.jwtAlg;
  }

  async onModuleInit(): Promise<void> {
    const alg = this.config.jwtAlg;
    if (alg === 'HS256') {
      this.secretKey = sharedSecretKey(this.config.jwtSecret ?? '');
      return;
    }
    await this.refresh();
    if (this.ring.isEmpty) {
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

  /** No database access, the switch to a key waiting out KEY_PUBLISH_DELAY included. */
  currentSigningKey(): ActiveSigningKey {
    if (this.secretKey) {
      return this.secretKey;
    }
    const key = this.ring.signer(Date.now());
    if (!key) {
      throw new Error('No signing key is loaded');
    }
    return { ...key, alg: this.config.jwtAlg };
  }

  signingKey(kid: string): KeyObject {
    const key = this.secretKey?.kid === kid ? this.secretKey.privateKey : this.ring.privateKey(kid);
    if (!key) {
      throw new Error(`No private key is loaded for ${kid}`);
    }
    return key;
  }

  // Judged from the header alone, before any signature check or reload: `typ` at+jwt (RFC 9068
  // section 4: no ID token passes as an access token), `alg` the configured one (never `none`,
  // never HS256 against a public key), no `crit`, `kid` one of ours.
  async verificationKeyFor(rawToken: string): Promise<KeyObject> {
    const { typ, alg, kid, crit } = headerOf(rawToken);
    const type = typeof typ === 'string' ? typ.toLowerCase() : undefined;
    if (type !== ACCESS_TOKEN_TYPE && type !== `application/${ACCESS_TOKEN_TYPE}`) {
      throw new RejectedTokenError('The token is not an access token (typ)');
    }
    if (alg !== this.config.jwtAlg) {
      throw new RejectedTokenError('The token is signed with another algorithm');
    }
    // RFC 7515 section 4.1.11: no extension is understood here, so none may be critical.
    if (crit !== undefined) {
      throw new RejectedTokenError('The token names critical header parameters');
    }
    const key = typeof kid === 'string' ? await this.findVerificationKey(kid) : undefined;
    if (!key) {
      throw new RejectedTokenError('The token was signed with an unknown key');
    }
    return key;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.ring.jwks(Date.now()) };
  }

  /** A cache honouring it refetches the JWKS before a key published ahead of time signs. */
  jwksMaxAge(): number {
    const delay = this.config.keyPublishDelay;
    return delay === 0
      ? JWKS_MAX_AGE_SECONDS
      : Math.max(0, Math.min(JWKS_MAX_AGE_SECONDS, delay - KEY_RELOAD_INTERVAL_SECONDS));
  }

  async rotate(initiator: Initiator): Promise<{ kid: string; activatesAt: Date }> {
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
    await this.events.publish({
      type: 'key_rotated',
      context: initiator.context,
      detail: { kid, actorId: initiator.actorId ?? null },
    });
    return { kid, activatesAt };
  }

  async refresh(): Promise<void> {
    const load = this.load();
    this.loadsInFlight.add(load);
    try {
      await load;
    } finally {
      this.loadsInFlight.delete(load);
    }
  }

  /** A kid never seen here may be another instance's new key, so reload once. */
  async findVerificationKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.verificationKey(kid);
    if (known || this.secretKey || this.ring.knownKids.has(kid)) {
      return known;
    }
    await this.reloadForUnknownKid();
    return this.verificationKey(kid);
  }

  verificationKey(kid: string): KeyObject | undefined {
    if (this.secretKey) {
      return kid === this.secretKey.kid ? this.secretKey.privateKey : undefined;
    }
    return this.ring.publicKey(kid, Date.now());
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

  private async load(): Promise<void> {
    const started = ++this.loadsStarted;
    // Published until its last token has expired, counting the time other instances take to notice.
    const graceSeconds =
      this.config.accessTokenTtl + CLOCK_SKEW_SECONDS + KEY_RELOAD_INTERVAL_SECONDS;
    const ring = await KeyRing.load(this.keys, this.config.jwtAlg, this.ring, graceSeconds * 1000);
    // A slower, older load must not undo what a newer one (say, right after a rotation) found.
    if (started >= this.latestLoadApplied) {
      this.latestLoadApplied = started;
      this.ring = ring;
    }
  }

  /** Instances starting together all try generation 1; the unique index lets one insert win. */
  private async createFirstKey(alg: AsymmetricAlgorithm): Promise<void> {
    try {
      await this.keys.insert({ ...newSigningKey(alg), generation: 1, activatesAt: new Date() });
    } catch (error) {
      if (!isUniqueViolation(error)) {
        throw error;
      }
    }
  }

  /** The INSERT computes the next generation: concurrent rotations each get their own, in order. */
  private async insertNextGeneration(
    alg: AsymmetricAlgorithm,
    activatesAt: Date,
  ): Promise<{ kid: string; generation: number }> {
    const key = newSigningKey(alg);
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
}

function headerOf(rawToken: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(rawToken);
  } catch {
    throw new RejectedTokenError('The token is not a JWS');
  }
}
