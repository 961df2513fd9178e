import { registerAs } from '@nestjs/config';
import { InvalidConfigurationError, validateEnvironment } from './environment';

/** `timeoutMs` bounds connecting, waiting for a connection, a statement and SQLite's busy wait. */
export type DatabaseConfig = { timeoutMs?: number } & (
  { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; schema?: string }
);

export const databaseConfig = registerAs('database', (): DatabaseConfig => {
  const { DATABASE_URL, DATABASE_TIMEOUT } = validateEnvironment(process.env);
  return databaseConfigOf(DATABASE_URL, DATABASE_TIMEOUT * 1000);
});

export function databaseConfigOf(databaseUrl: string, timeoutMs?: number): DatabaseConfig {
  if (databaseUrl.startsWith('sqlite:')) {
    return { type: 'sqlite', path: databaseUrl.slice('sqlite:'.length), timeoutMs };
  }
  // `?schema=` lets several deployments (or test runs) share one PostgreSQL database.
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidConfigurationError(
      'Invalid configuration: DATABASE_URL schema must be a plain SQL identifier',
    );
  }
  url.searchParams.delete('schema');
  return { type: 'postgres', url: url.toString(), schema, timeoutMs };
}
