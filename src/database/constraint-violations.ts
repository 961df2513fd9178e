import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: string;
  message?: string;
}

/**
 * TypeORM wraps what the driver threw; statements prepared on SQLite's own connection
 * (PreparedStatements) reach the caller unwrapped.
 */
function driverErrorOf(error: unknown): DriverError | undefined {
  if (error instanceof QueryFailedError) {
    return error.driverError as DriverError;
  }
  return typeof error === 'object' && error !== null ? error : undefined;
}

/** A write refused by a unique index; SQLite and PostgreSQL word it differently. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = driverErrorOf(error);
  return (
    driverError !== undefined &&
    (driverError.code === '23505' || /UNIQUE constraint failed/.test(driverError.message ?? ''))
  );
}

/** A row that refers to one deleted meanwhile (a session of a deleted user). */
export function isForeignKeyViolation(error: unknown): boolean {
  const driverError = driverErrorOf(error);
  return (
    driverError !== undefined &&
    (driverError.code === '23503' ||
      /FOREIGN KEY constraint failed/.test(driverError.message ?? ''))
  );
}
