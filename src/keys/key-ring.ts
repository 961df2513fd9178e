import { createPrivateKey, createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { JwtAlgorithm } from '../config/environment';
import { isUniqueViolation } from '../database/constraint-violations';
import { SigningKey } from './entities/signing-key.entity';
import { NewSigningKey, signerAt } from './key-material';
import { PrivateKeySealing } from './private-key-sealing';

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/** The key the next rotation promotes: published, not signing yet. */
export interface NextKey {
  kid: string;
  generation: number;
  publishedAt: number;
}

interface TimedKey {
  kid: string;
  generation: number;
  publishedAt: number;
  /** When it started (or will start) signing; undefined for the next key. */
  signsFrom: number | undefined;
  /** When a newer key started (or will start) signing. */
  retiresAt: number | undefined;
}

interface HeldKey extends TimedKey {
  publicKey: KeyObject;
  jwk: PublicJwk;
  privateKey: KeyObject | undefined;
}

type KeyRow = Pick<SigningKey, 'kid' | 'generation' | 'createdAt' | 'activatesAt'>;

const hasStarted = <T extends TimedKey>(key: T): key is T & { signsFrom: number } =>
  key.signsFrom !== undefined;

/** What an operator sees of one key (no key material). */
export interface KeySummary {
  kid: string;
  generation: number;
  state: 'signing' | 'next' | 'retired';
  publishedAt: string;
  signsFrom: string | null;
  retiresAt: string | null;
}

const isoOrNull = (time: number | undefined): string | null =>
  time === undefined ? null : new Date(time).toISOString();

function stateOf(key: TimedKey, signing: TimedKey | undefined, now: number): KeySummary['state'] {
  if (key === signing) {
    return 'signing';
  }
  return key.signsFrom === undefined || key.signsFrom > now ? 'next' : 'retired';
}

/** One algorithm's keys as read at one moment. */
export class KeyRing {
  static readonly EMPTY = new KeyRing([], new Set(), 0, 0);

  private constructor(
    private readonly held: HeldKey[],
    readonly knownKids: ReadonlySet<string>,
    readonly newestGeneration: number,
    private readonly publishedAfterRetirementMs: number,
  ) {}

  static async load(
    repository: Repository<SigningKey>,
    alg: JwtAlgorithm,
    previous: KeyRing,
    publishedAfterRetirementMs: number,
    sealing: PrivateKeySealing,
  ): Promise<KeyRing> {
    const rows: KeyRow[] = await repository.find({
      select: { kid: true, generation: true, createdAt: true, activatesAt: true },
      where: { alg },
      order: { generation: 'DESC' },
    });
    const now = Date.now();
    const timed = timeline(rows);
    const signer = signerAt(timed.filter(hasStarted), now);
    const maySign = (key: TimedKey) => signer !== undefined && key.generation >= signer.generation;
    const kept = timed.filter(
      (key) =>
        maySign(key) ||
        key.retiresAt === undefined ||
        now < key.retiresAt + publishedAfterRetirementMs,
    );

    const known = new Map(previous.held.map((key) => [key.kid, key]));
    const publicPems = await pemsOf(
      repository,
      'publicKeyPem',
      kept.filter((key) => !known.has(key.kid)),
    );
    const privatePems = await pemsOf(
      repository,
      'privateKeyPem',
      kept.filter((key) => maySign(key) && !known.get(key.kid)?.privateKey),
    );
    const held: HeldKey[] = [];
    for (const key of kept) {
      const before = known.get(key.kid);
      const publicPem = publicPems.get(key.kid);
      const publicKey = before?.publicKey ?? (publicPem ? createPublicKey(publicPem) : undefined);
      if (!publicKey) {
        continue;
      }
      const privatePem = privatePems.get(key.kid);
      held.push({
        ...key,
        publicKey,
        jwk: before?.jwk ?? {
          ...publicKey.export({ format: 'jwk' }),
          kid: key.kid,
          alg,
          use: 'sig',
        },
        privateKey: !maySign(key)
          ? undefined
          : (before?.privateKey ??
            (privatePem ? createPrivateKey(sealing.open(key.kid, privatePem)) : undefined)),
      });
    }
    return new KeyRing(
      held,
      new Set(rows.map((row) => row.kid)),
      rows[0]?.generation ?? 0,
      publishedAfterRetirementMs,
    );
  }

  get next(): NextKey | undefined {
    const [newest] = this.held;
    return newest?.generation === this.newestGeneration && newest.signsFrom === undefined
      ? { kid: newest.kid, generation: newest.generation, publishedAt: newest.publishedAt }
      : undefined;
  }

  missingKeys(now: number): number {
    if (this.newestGeneration === 0) {
      return 2;
    }
    return this.next && this.signer(now) ? 0 : 1;
  }

  signer(now: number): { kid: string; privateKey: KeyObject } | undefined {
    const key = this.signing(now);
    return key?.privateKey ? { kid: key.kid, privateKey: key.privateKey } : undefined;
  }

  privateKey(kid: string): KeyObject | undefined {
    return this.held.find((key) => key.kid === kid)?.privateKey;
  }

  publicKey(kid: string, now: number): KeyObject | undefined {
    return this.held.find((key) => key.kid === kid && this.isPublished(key, now))?.publicKey;
  }

  /** The signing key first, then the next key, then retired keys, newest first. */
  jwks(now: number): PublicJwk[] {
    const signing = this.signing(now);
    return [...(signing ? [signing] : []), ...this.held.filter((key) => key !== signing)]
      .filter((key) => this.isPublished(key, now))
      .map((key) => key.jwk);
  }

  /** The published keys, newest first. */
  summaries(now: number): KeySummary[] {
    const signing = this.signing(now);
    return this.held
      .filter((key) => this.isPublished(key, now))
      .map((key) => ({
        kid: key.kid,
        generation: key.generation,
        state: stateOf(key, signing, now),
        publishedAt: new Date(key.publishedAt).toISOString(),
        signsFrom: isoOrNull(key.signsFrom),
        retiresAt: isoOrNull(key.retiresAt),
      }));
  }

  nextKeyAge(now: number, cap: number): number {
    const next = this.next;
    return next ? Math.min(cap, Math.max(0, Math.floor((now - next.publishedAt) / 1000))) : 0;
  }

  private signing(now: number): HeldKey | undefined {
    return signerAt(this.held.filter(hasStarted), now);
  }

  private isPublished(key: HeldKey, now: number): boolean {
    return key.retiresAt === undefined || now < key.retiresAt + this.publishedAfterRetirementMs;
  }
}

/** False when another instance inserted above `newest` first: the caller reads the keys again. */
export async function insertAbove(
  manager: EntityManager,
  key: NewSigningKey,
  newest: number,
): Promise<boolean> {
  try {
    await manager.insert(SigningKey, {
      ...key,
      generation: newest + 1,
      createdAt: new Date(Date.now()),
      activatesAt: null,
    });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) {
      return false;
    }
    throw error;
  }
}

function timeline(rows: KeyRow[]): TimedKey[] {
  let above: KeyRow | undefined;
  let earliestStartAbove = Infinity;
  return rows.map((row) => {
    const signsFrom = row.activatesAt?.getTime() ?? above?.createdAt.getTime();
    const retiresAt = Number.isFinite(earliestStartAbove) ? earliestStartAbove : undefined;
    earliestStartAbove = Math.min(earliestStartAbove, signsFrom ?? Infinity);
    above = row;
    return {
      kid: row.kid,
      generation: row.generation,
      publishedAt: row.createdAt.getTime(),
      signsFrom,
      retiresAt,
    };
  });
}

async function pemsOf(
  repository: Repository<SigningKey>,
  column: 'publicKeyPem' | 'privateKeyPem',
  keys: TimedKey[],
): Promise<Map<string, string>> {
  if (keys.length === 0) {
    return new Map();
  }
  const rows = await repository.find({
    select: { kid: true, [column]: true },
    where: { kid: In(keys.map((key) => key.kid)) },
  });
  return new Map(rows.map((row) => [row.kid, row[column]]));
}
