import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const PERSONAL_ACCESS_TOKEN_PREFIX = 'pat_';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^43 > 2^256: every 256-bit secret has its own 43 characters. */
const SECRET_LENGTH = 43;
/** 62^6 > 2^32: room for a CRC32. */
const CHECKSUM_LENGTH = 6;

/** What secret scanners look for (docs/security.md); the checksum is checked on top. */
export const PERSONAL_ACCESS_TOKEN_SHAPE = new RegExp(
  `^${PERSONAL_ACCESS_TOKEN_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`,
);

function base62(value: bigint, length: number): string {
  let text = '';
  for (let rest = value; text.length < length; rest /= 62n) {
    text = BASE62[Number(rest % 62n)] + text;
  }
  return text;
}

const checksumOf = (secret: string): string => base62(BigInt(crc32(secret)), CHECKSUM_LENGTH);

/** `pat_` + 256 random bits + the CRC32 of those characters, all base62 (as GitHub's tokens). */
export function newPersonalAccessToken(): string {
  const secret = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), SECRET_LENGTH);
  return `${PERSONAL_ACCESS_TOKEN_PREFIX}${secret}${checksumOf(secret)}`;
}

/** Shape and checksum: a mistyped or truncated token is refused before any database read. */
export function isWellFormedPersonalAccessToken(token: string): boolean {
  if (!PERSONAL_ACCESS_TOKEN_SHAPE.test(token)) {
    return false;
  }
  const secret = token.slice(PERSONAL_ACCESS_TOKEN_PREFIX.length, -CHECKSUM_LENGTH);
  return token.endsWith(checksumOf(secret));
}

/** A fast hash is enough: a 256-bit secret cannot be guessed, however fast each guess. */
export function hashPersonalAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
