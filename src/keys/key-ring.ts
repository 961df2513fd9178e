import { createPrivateKey, createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { JwtAlgorithm } from '../config/environment';
import { SigningKey } from './entities/signing-key.entity';
import { signerAt } from './key-material';

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

interface HeldKey {
  kid: string;
  generation: number;
  activatesAt: number;
  /** When it stopped (or will stop) signing: its own record, or a successor's activation. */
  retiresAt: number | undefined;
  publicKey: KeyObject;
  jwk: PublicJwk;
  privateKey: KeyObject | undefined;
}

/** Retired keys stay published for `publishedAfterRetirementMs`, until their last token expires. */
export class KeyRing {
  static readonly EMPTY = new KeyRing([], new Set(), 0);

  private constructor(
    private readonly held: HeldKey[],
    readonly knownKids: ReadonlySet<string>,
    private readonly publishedAfterRetirementMs: number,
  ) {}

  get isEmpty(): boolean {
    return this.held.length === 0;
  }

  static async load(
    repository: Repository<SigningKey>,
    alg: JwtAlgorithm,
    previous: KeyRing,
    publishedAfterRetirementMs: number,
  ): Promise<KeyRing> {
    const rows = await repository.find({ where: { alg }, order: { generation: 'DESC' } });
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
    const isPublished = (retiresAt: number | undefined) =>
      retiresAt === undefined || now < retiresAt + publishedAfterRetirementMs;

    const known = new Map(previous.held.map((key) => [key.kid, key]));
    const held: HeldKey[] = [];
    for (const { row, activatesAt, retiresAt } of timed) {
      if (!mayStillSign(row.generation) && !isPublished(retiresAt)) {
        continue;
      }
      const before = known.get(row.kid);
      const publicKey = before?.publicKey ?? createPublicKey(row.publicKeyPem);
      held.push({
        kid: row.kid,
        generation: row.generation,
        activatesAt,
        retiresAt,
        publicKey,
        jwk: before?.jwk ?? {
          ...publicKey.export({ format: 'jwk' }),
          kid: row.kid,
          alg,
          use: 'sig',
        },
        privateKey: mayStillSign(row.generation) ? before?.privateKey : undefined,
      });
    }
    await loadPrivateKeys(
      repository,
      held.filter((key) => mayStillSign(key.generation) && !key.privateKey),
    );
    return new KeyRing(held, new Set(rows.map((row) => row.kid)), publishedAfterRetirementMs);
  }

  signer(now: number): { kid: string; privateKey: KeyObject } | undefined {
    const key = signerAt(this.held, now);
    return key?.privateKey ? { kid: key.kid, privateKey: key.privateKey } : undefined;
  }

  privateKey(kid: string): KeyObject | undefined {
    return this.held.find((key) => key.kid === kid)?.privateKey;
  }

  publicKey(kid: string, now: number): KeyObject | undefined {
    return this.held.find((key) => key.kid === kid && this.isPublished(key, now))?.publicKey;
  }

  jwks(now: number): PublicJwk[] {
    return this.held.filter((key) => this.isPublished(key, now)).map((key) => key.jwk);
  }

  private isPublished(key: HeldKey, now: number): boolean {
    return key.retiresAt === undefined || now < key.retiresAt + this.publishedAfterRetirementMs;
  }
}

async function loadPrivateKeys(repository: Repository<SigningKey>, keys: HeldKey[]): Promise<void> {
  if (keys.length === 0) {
    return;
  }
  const rows = await repository.find({
    select: { kid: true, privateKeyPem: true },
    where: { kid: In(keys.map((key) => key.kid)) },
  });
  const pems = new Map(rows.map((row) => [row.kid, row.privateKeyPem]));
  for (const key of keys) {
    const pem = pems.get(key.kid);
    key.privateKey = pem === undefined ? undefined : createPrivateKey(pem);
  }
}
