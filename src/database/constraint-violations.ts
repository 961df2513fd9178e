import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: string;
  message?: string;
}

// Statements prepared on SQLite's own connection (PreparedStatements) throw unwrapped.
function driverErrorOf(error: unknown): DriverError | undefined {
  if (error instanceof QueryFailedError) {
    return error.driverError as DriverError;
  }
  return typeof error === 'object' && error !== null ? error : undefined;
}

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

/** PostgreSQL chose this transaction to end a deadlock, or could not serialise it: try again. */
export function isTransientConflict(error: unknown): boolean {
  const code = driverErrorOf(error)?.code;
  return code === '40P01' || code === '40001';
}
