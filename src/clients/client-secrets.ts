import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const HASH_BYTES = 32;

export const newClientSecret = (): string => randomBytes(32).toString('base64url');

/** SHA-256, hex: the secret is 256 random bits, so a slow hash would only cost throughput. */
export const clientSecretHash = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant time, also when there is no stored hash to compare against. */
export function matchesSecretHash(secret: string, storedHex: string | null | undefined): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = storedHex ? Buffer.from(storedHex, 'hex') : Buffer.alloc(0);
  const comparable = stored.length === HASH_BYTES ? stored : Buffer.alloc(HASH_BYTES);
  return timingSafeEqual(presented, comparable) && comparable === stored;
}
