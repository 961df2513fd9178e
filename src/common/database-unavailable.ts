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
// SQLSTATE class 08 (connection), 53300 too_many_connections, 57014 statement timeout (DATABASE_TIMEOUT),
// 57P01-57P03 (shutdown, start-up).
const POSTGRES_STATES = /^(08\d{3}|53300|57014|57P0[123])$/;
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']);
// node-postgres reports a dropped or unusable connection with these messages and no code.
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  // DATABASE_TIMEOUT, as node-postgres reports it on its side.
  'Query read timeout',
];

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

// Duck-typed: errors from Node's net module come from another realm under jest's VM sandbox.
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

// Answered 503 so clients retry; walks `driverError` and `cause`, as each layer wraps differently.
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
