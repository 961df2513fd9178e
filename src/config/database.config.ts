import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export type DatabaseConfig =
  { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; schema?: string };

export const databaseConfig = registerAs('database', (): DatabaseConfig => {
  const { DATABASE_URL: url } = validateEnvironment(process.env);
  if (url.startsWith('sqlite:')) {
    return { type: 'sqlite', path: url.slice('sqlite:'.length) };
  }
  // `?schema=` lets several deployments (or test runs) share one PostgreSQL database.
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  return { type: 'postgres', url, schema };
});
