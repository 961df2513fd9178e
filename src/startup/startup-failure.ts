import { DatabaseConfig } from '../config/database.config';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  severity?: unknown;
}

const systemError = (error: unknown): SystemError =>
  typeof error === 'object' && error !== null ? error : {};

// PostgreSQL SQLSTATEs that another attempt cannot change: no such database, refused credentials.
const PERMANENT_POSTGRES_STATES = new Set(['3D000', '28000', '28P01']);
const PERMANENT_SQLITE_CODES = new Set([
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_READONLY',
  'SQLITE_PERM',
]);
const FILE_SYSTEM_CODES = new Set(['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOENT']);

/** An error another connection attempt cannot cure, so start-up ends at once instead of retrying. */
export function isPermanentDatabaseError(error: unknown): boolean {
  const { code, severity } = systemError(error);
  if (typeof code !== 'string') {
    return false;
  }
  return (
    (severity !== undefined && PERMANENT_POSTGRES_STATES.has(code)) ||
    PERMANENT_SQLITE_CODES.has(code) ||
    FILE_SYSTEM_CODES.has(code)
  );
}

/** Where the data lives, for operators: never the credentials of a database URL. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.type === 'sqlite') {
    return `SQLite ${config.path}`;
  }
  const url = new URL(config.url);
  const schema = config.schema ? ` (schema ${config.schema})` : '';
  return `PostgreSQL ${url.host}${url.pathname}${schema}`;
}

function isDatabaseError(error: unknown): boolean {
  const { code, syscall, severity } = systemError(error);
  return (
    severity !== undefined ||
    (typeof code === 'string' && code.startsWith('SQLITE_')) ||
    syscall === 'connect' ||
    syscall === 'mkdir' ||
    syscall === 'open'
  );
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use by another process (set PORT or HOST)',
  EACCES: 'is not allowed to this user (a port below 1024 needs privileges)',
  EADDRNOTAVAIL: 'names an address this machine does not have (check HOST)',
};

/** The one line a failed start ends with: the cause, no stack trace, no secret. */
export function startupFailureLine(
  error: unknown,
  where: { address: string; database: string },
): string {
  const { code, syscall } = systemError(error);
  const message = error instanceof Error ? error.message : String(error);
  if (syscall === 'listen' && typeof code === 'string' && code in LISTEN_PROBLEMS) {
    return `cannot start: ${where.address} ${LISTEN_PROBLEMS[code]}`;
  }
  if (isDatabaseError(error)) {
    return `cannot start: ${where.database}: ${message.replace(/^SQLITE_[A-Z]+: /, '')}`;
  }
  return `cannot start: ${message}`;
}
