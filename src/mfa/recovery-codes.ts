import { createHash, randomInt } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { RecoveryCode } from './entities/recovery-code.entity';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 16 characters of 32: 80 random bits, too many to guess online or to search from a hash. */
const LENGTH = 16;
const GROUP = 4;

function newRecoveryCode(): string {
  return Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** `xxxx-xxxx-xxxx-xxxx`, lower-case base32 (no 0, 1, 8 or 9 to misread). */
function formatted(code: string): string {
  return code.match(new RegExp(`.{${GROUP}}`, 'g'))?.join('-') ?? code;
}

/** As typed: any case, with or without the hyphens and spaces; undefined if it cannot be one. */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toLowerCase();
  return code.length === LENGTH && [...code].every((char) => ALPHABET.includes(char))
    ? code
    : undefined;
}

/**
 * SHA-256 of the user id and the code: 80 random bits need no slow hash, and binding the id
 * means a code is worth nothing on another account.
 */
export function hashRecoveryCode(userId: string, normalized: string): string {
  return createHash('sha256').update(`${userId}\n${normalized}`).digest('hex');
}

/** Ten new codes in place of the user's old ones, which die with this transaction's commit. */
export async function replaceRecoveryCodes(
  manager: EntityManager,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const createdAt = new Date();
  await removeRecoveryCodes(manager, userId);
  await manager.insert(
    RecoveryCode,
    codes.map((code) => ({ codeHash: hashRecoveryCode(userId, code), userId, createdAt })),
  );
  return codes.map(formatted);
}

/** Deleting is spending: of two requests with one code, one deletes it and the other finds none. */
export async function spendRecoveryCode(
  manager: EntityManager,
  userId: string,
  codeHash: string,
): Promise<boolean> {
  const { affected } = await manager.delete(RecoveryCode, { userId, codeHash });
  return affected === 1;
}

export function remainingRecoveryCodes(manager: EntityManager, userId: string): Promise<number> {
  return manager.countBy(RecoveryCode, { userId });
}

export async function removeRecoveryCodes(manager: EntityManager, userId: string): Promise<void> {
  await manager.delete(RecoveryCode, { userId });
}
