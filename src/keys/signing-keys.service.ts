import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { decodeProtectedHeader, ProtectedHeaderParameters } from 'jose';
import { KeyObject } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { JwtAlgorithm } from '../config/environment';
import { FreshRead } from '../platform/fresh-read';
import { ACCESS_TOKEN_TYPE, RejectedTokenError } from '../tokens/access-token-claims';
import { CLOCK_SKEW_SECONDS } from '../tokens/clock-skew';
import { SigningKey } from './entities/signing-key.entity';
import { ActiveSigningKey, newSigningKey, NewSigningKey, sharedSecretKey } from './key-material';
import { insertAbove, KeyRing, KeySummary, NextKey, PublicJwk } from './key-ring';
import { PrivateKeySealing } from './private-key-sealing';

/** An unknown `kid` reloads the keys at most this often: forged kids must not hammer the database. */
export const UNKNOWN_KID_RELOAD_SECONDS = 5;

export const JWKS_MAX_AGE_SECONDS = 300;

const JWKS_READ_WAIT_MS = 1000;

// Asymmetric keys live in the database, so every instance signs with the same key; each holds them
// parsed in memory (parsing a PEM costs more than a signature). With HS256 the key is JWT_SECRET.
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly sealing: PrivateKeySealing;
  private secretKey: ActiveSigningKey | undefined;
  private ring = KeyRing.EMPTY;
  private reloadTimer: NodeJS.Timeout | undefined;
  // One read at a time, so a slower, older read can never replace what a newer one found.
  private readonly reads = new FreshRead(() => this.load());
  private readonly readsInFlight = new Set<Promise<void>>();
  private unknownKidReload: Promise<void> | undefined;
  private lastUnknownKidReloadAt = -Infinity;

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>,
  ) {
    this.sealing = new PrivateKeySealing(config.keyEncryptionKeys);
  }

  get algorithm(): JwtAlgorithm {
    return this.config.jwtAlg;
  }

  async onModuleInit(): Promise<void> {
    await this.sealStoredKeys();
    if (this.config.jwtAlg === 'HS256') {
      this.secretKey = sharedSecretKey(this.config.jwtSecret ?? '');
      return;
    }
    await this.completeKeys();
    // Fails the start, rather than the first login, when no key could be stored or read back.
    this.currentSigningKey();
    this.reloadTimer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.logger.warn(`Could not reload the signing keys: ${String(error)}`);
      });
    }, this.config.keyReloadInterval * 1000);
    this.reloadTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.reloadTimer);
    await Promise.allSettled(this.readsInFlight);
  }

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

  /** Read for each request, so that the answer reflects every rotation made before it, anywhere. */
  async publishedKeys(): Promise<{ keys: PublicJwk[]; maxAge: number }> {
    if (this.secretKey) {
      return { keys: [], maxAge: JWKS_MAX_AGE_SECONDS };
    }
    let maxAge = JWKS_MAX_AGE_SECONDS;
    try {
      await within(this.refresh(), JWKS_READ_WAIT_MS);
    } catch (error) {
      // Peers verify offline to outlive an outage here: the keys in memory, not to be cached.
      this.logger.warn(`Serving the signing keys in memory: ${String(error)}`);
      maxAge = 0;
    }
    const now = Date.now();
    return { keys: this.ring.jwks(now), maxAge: this.ring.nextKeyAge(now, maxAge) };
  }

  /** As the JWKS publishes them, read afresh; none with HS256 (the key is JWT_SECRET). */
  async summaries(): Promise<KeySummary[]> {
    if (this.secretKey) {
      return [];
    }
    await this.refresh();
    return this.ring.summaries(Date.now());
  }

  nextKey(): NextKey | undefined {
    return this.ring.next;
  }

  /** Reads the keys, first adding the signing or next key if missing (first start, new JWT_ALG). */
  async completeKeys(): Promise<NextKey> {
    const alg = this.config.jwtAlg;
    if (alg === 'HS256') {
      throw new Error('HS256 has no stored keys');
    }
    for (;;) {
      await this.refresh();
      const missing = this.ring.missingKeys(Date.now());
      const next = this.ring.next;
      if (missing === 0 && next) {
        return next;
      }
      const made = await Promise.all(Array.from({ length: missing }, () => newSigningKey(alg)));
      let newest = this.ring.newestGeneration;
      for (const key of made) {
        if (!(await this.storeAbove(this.keys.manager, key, newest))) {
          break;
        }
        newest += 1;
      }
    }
  }

  /** Inserts `key` with generation `newest + 1`, its private key sealed; false if taken. */
  storeAbove(manager: EntityManager, key: NewSigningKey, newest: number): Promise<boolean> {
    const privateKeyPem = this.sealing.seal(key.kid, key.privateKeyPem);
    return insertAbove(manager, { ...key, privateKeyPem }, newest);
  }

  refresh(): Promise<void> {
    const read = this.reads.get();
    this.readsInFlight.add(read);
    return read.finally(() => this.readsInFlight.delete(read));
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

  /** Stored private keys are re-encrypted with the first KEY_ENCRYPTION_KEY (or first encrypted). */
  private async sealStoredKeys(): Promise<void> {
    if (!this.sealing.enabled) {
      return;
    }
    const rows = await this.keys.find({ select: { kid: true, privateKeyPem: true } });
    let sealed = 0;
    for (const { kid, privateKeyPem: stored } of rows) {
      if (this.sealing.isCurrent(stored)) {
        continue;
      }
      let pem: string;
      try {
        pem = this.sealing.open(kid, stored);
      } catch (error) {
        // A retired key never signs again; a key that must sign fails the start when loaded.
        this.logger.warn(error instanceof Error ? error.message : String(error));
        continue;
      }
      // Only if unchanged: another instance starting alongside may have sealed it first.
      const { affected } = await this.keys.update(
        { kid, privateKeyPem: stored },
        { privateKeyPem: this.sealing.seal(kid, pem) },
      );
      sealed += affected ?? 0;
    }
    if (sealed > 0) {
      this.logger.log(`Encrypted ${sealed} stored private keys with the first KEY_ENCRYPTION_KEY`);
    }
  }

  private async load(): Promise<void> {
    // Published until its last token has expired: an instance that has not yet seen the rotation
    // may sign with it for up to KEY_RELOAD_INTERVAL, and peers allow the clock skew.
    const graceSeconds =
      this.config.accessTokenTtl + CLOCK_SKEW_SECONDS + this.config.keyReloadInterval;
    this.ring = await KeyRing.load(
      this.keys,
      this.config.jwtAlg,
      this.ring,
      graceSeconds * 1000,
      this.sealing,
    );
  }
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function headerOf(rawToken: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(rawToken);
  } catch {
    throw new RejectedTokenError('The token is not a JWS');
  }
}
