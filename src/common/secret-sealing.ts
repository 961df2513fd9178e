import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealingKey {
  id: string;
  key: Buffer;
}

export class UnsealableSecretError extends Error {}

/** What a sealing is for: each purpose derives keys of its own from the same secrets. */
export interface SealingContext {
  /** In the HKDF info: a value sealed for one purpose never opens for another. */
  purpose: string;
  /** Names a sealed value in errors, from the id it is bound to (never the value itself). */
  describe(id: string): string;
}

function sealingKey(secret: string, purpose: string): SealingKey {
  const key = Buffer.from(hkdfSync('sha256', secret, '', `portcullis ${purpose} encryption`, 32));
  // Names the secret in each sealed value, so a start can tell which rows to seal again.
  const id = createHmac('sha256', key).update('key id').digest('base64url').slice(0, 12);
  return { id, key };
}

/**
 * Secrets at rest: AES-256-GCM under KEY_ENCRYPTION_KEY, bound (as associated data) to the id of
 * the row that holds them, so that a sealed value copied onto another row does not open. The first
 * secret seals; every one opens. Without a secret, values are stored as they are.
 */
export class SecretSealing {
  private readonly keys: SealingKey[];

  constructor(
    secrets: readonly string[],
    private readonly context: SealingContext,
  ) {
    this.keys = secrets.map((secret) => sealingKey(secret, context.purpose));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  seal(id: string, plain: string): string {
    const [current] = this.keys;
    if (!current) {
      return plain;
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv).setAAD(Buffer.from(id));
    const sealed = Buffer.concat([
      iv,
      cipher.update(plain, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${PREFIX}${current.id}:${sealed.toString('base64url')}`;
  }

  open(id: string, stored: string): string {
    if (!stored.startsWith(PREFIX)) {
      return stored;
    }
    const [keyId, payload] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.find((candidate) => candidate.id === keyId);
    const what = this.context.describe(id);
    if (!key) {
      throw new UnsealableSecretError(
        `The ${what} is encrypted with a KEY_ENCRYPTION_KEY this instance does not have`,
      );
    }
    const sealed = Buffer.from(payload ?? '', 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(id))
        .setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new UnsealableSecretError(`The stored ${what} is damaged or not its own`);
    }
  }

  /** Whether `stored` is as `seal` would store it now. */
  isCurrent(stored: string): boolean {
    const current = this.currentPrefix();
    return current ? stored.startsWith(current) : !stored.startsWith(PREFIX);
  }

  /** What every value sealed now begins with; undefined without a secret. */
  currentPrefix(): string | undefined {
    const [current] = this.keys;
    return current ? `${PREFIX}${current.id}:` : undefined;
  }
}
