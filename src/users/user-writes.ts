import { ConflictException } from '@nestjs/common';
import { EntityManager, QueryFailedError } from 'typeorm';
import { isUniqueViolation } from '../database/constraint-violations';

/** The pieces of UsersService's writes: timestamps, token versions, constraint answers. */

// Left to TypeORM, `updatedAt` would be SQLite's CURRENT_TIMESTAMP, in whole seconds: earlier than
// a `createdAt` of the same second.
export function touched<Changes extends object>(changes: Changes): Changes & { updatedAt: Date } {
  return { ...changes, updatedAt: new Date() };
}

/** What a password reset adds to the change: the token is spent in it (it throws if it was not). */
export interface PasswordResetStep {
  spendToken(manager: EntityManager): Promise<void>;
  /** The token went to the account's current address, which it therefore proves. */
  emailVerified: boolean;
}

/** Raised in the same UPDATE that changes the credentials, so no request can slip between. */
export const NEXT_TOKEN_VERSION = () => '"tokenVersion" + 1';

export function uniqueViolation(error: unknown): 'email' | 'username' | undefined {
  if (!(error instanceof QueryFailedError) || !isUniqueViolation(error)) {
    return undefined;
  }
  const driverError = error.driverError as { detail?: string; message?: string };
  const text = `${driverError.detail ?? ''} ${driverError.message ?? ''}`;
  return /email/.test(text) ? 'email' : 'username';
}

export function conflict(field: 'email' | 'username'): ConflictException {
  return new ConflictException(
    field === 'email' ? 'That email address is already registered' : 'That username is taken',
  );
}

/** A unique index's refusal as the 409 that names the field. */
export async function writeOrConflict(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const field = uniqueViolation(error);
    throw field ? conflict(field) : error;
  }
}
