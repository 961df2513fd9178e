// Socket-level failures reaching the database server (Node / pg).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// PostgreSQL SQLSTATE class 08 (connection exception), 53300 too_many_connections, and
// 57P01-57P03 (server shutting down or starting up).
const POSTGRES_STATES = /^(08\d{3}|53300|57P0[123])$/;
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']);
// node-postgres reports a dropped or unusable connection with these messages and no code.
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

// Not `instanceof Error`: errors raised by Node's own net module come from another realm under
// jest's VM sandbox, and duck typing is what the drivers' own checks do as well.
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null;
}

function isUnavailableError(error: ErrorLike): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (NETWORK_CODES.has(code) || SQLITE_CODES.has(code) || POSTGRES_STATES.test(code))) {
    return true;
  }
  const message = typeof error.message === 'string' ? error.message : '';
  return PG_MESSAGES.some((known) => message.startsWith(known));
}

/**
 * True when a failure means "the database cannot be reached right now", which is answered 503 so
 * that clients retry, rather than 500, which says the request itself broke something. Looks
 * through TypeORM's wrapper (`driverError`) and `cause` chains, since each layer wraps differently.
 */
export function isDatabaseUnavailable(exception: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = exception;
  while (isErrorLike(current) && !seen.has(current)) {
    seen.add(current);
    if (isUnavailableError(current)) {
      return true;
    }
    current = current.driverError ?? current.cause;
  }
  return false;
}
