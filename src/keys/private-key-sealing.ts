import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealingKey {
  id: string;
  key: Buffer;
}

export class UnsealableKeyError extends Error {}

const SIGNING_KEY_PURPOSE = 'portcullis private signing key encryption';

function sealingKey(secret: string, purpose: string): SealingKey {
  const key = Buffer.from(hkdfSync('sha256', secret, '', purpose, 32));
  // Names the secret in each sealed value, so a start can tell which rows to seal again.
  const id = createHmac('sha256', key).update('key id').digest('base64url').slice(0, 12);
  return { id, key };
}

/**
 * Private signing keys at rest: AES-256-GCM under KEY_ENCRYPTION_KEY, bound to their kid so that a
 * sealed key copied onto another row does not open. The first secret seals; every one opens.
 * Without a secret, keys are stored as PEM. Another `purpose` (the mail outbox) derives keys of
 * its own from the same secrets, so a value sealed for one use never opens for another.
 */
export class PrivateKeySealing {
  private readonly keys: SealingKey[];

  constructor(secrets: readonly string[], purpose = SIGNING_KEY_PURPOSE) {
    this.keys = secrets.map((secret) => sealingKey(secret, purpose));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  seal(kid: string, pem: string): string {
    const [current] = this.keys;
    if (!current) {
      return pem;
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv).setAAD(Buffer.from(kid));
    const sealed = Buffer.concat([
      iv,
      cipher.update(pem, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${PREFIX}${current.id}:${sealed.toString('base64url')}`;
  }

  open(kid: string, stored: string): string {
    if (!stored.startsWith(PREFIX)) {
      return stored;
    }
    const [id, payload] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.find((candidate) => candidate.id === id);
    if (!key) {
      throw new UnsealableKeyError(
        `The private key of ${kid} is encrypted with a KEY_ENCRYPTION_KEY this instance does not have`,
      );
    }
    const sealed = Buffer.from(payload ?? '', 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(kid))
        .setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new UnsealableKeyError(`The stored private key of ${kid} is damaged or not its own`);
    }
  }

  /** Whether `stored` is as `seal` would store it now. */
  isCurrent(stored: string): boolean {
    const [current] = this.keys;
    return current ? stored.startsWith(`${PREFIX}${current.id}:`) : !stored.startsWith(PREFIX);
  }
}
