import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { toBoolean, toInteger, toSeconds } from './environment-values';
import { TokenEnvironment } from './token-environment';
import { IsTrustProxy } from './trust-proxy';

export { JWT_ALGORITHMS, JwtAlgorithm } from './token-environment';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ARGON2_FLOOR = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export class InvalidConfigurationError extends Error {
  override name = 'InvalidConfigurationError';
}

/** Nothing outside src/config reads process.env. Every variable: docs/configuration.md. */
export class Environment extends TokenEnvironment {
  // class-validator runs a property's decorators bottom-up and stops at the first failure, so the
  // type check sits closest to the property: `PORT=abc` should say "integer", not "out of range".
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInteger)
  @Min(0)
  @Max(65535)
  @IsInt()
  PORT = 3000;

  @Matches(/^\S+$/, { message: 'must be a host name or address' })
  HOST = '127.0.0.1';

  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE',
  })
  DATABASE_URL = 'sqlite:./data/portcullis.sqlite';

  @Transform(toSeconds)
  @Min(1)
  @Max(60)
  @IsInt({ message: 'must be a duration from 1 second to 1 minute, such as 5 or 10s' })
  DATABASE_TIMEOUT = 5;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Matches(/^[\w:.-]{0,64}$/, { message: 'must be up to 64 letters, digits, _ : . or -' })
  REDIS_KEY_PREFIX = 'portcullis:';

  @IsOptional()
  @IsTrustProxy()
  TRUST_PROXY?: string;

  @Transform(toInteger)
  @Min(1)
  @Max(1000)
  @IsInt()
  LOGIN_FAILURES_BEFORE_DELAY = 5;

  @Transform(toSeconds)
  @Min(1)
  @Max(3600)
  @IsInt({ message: 'must be a duration from 1 second to 1 hour, such as 30 or 1m' })
  LOGIN_FIRST_DELAY = 30;

  @Transform(toSeconds)
  @Min(1)
  @Max(86400)
  @IsInt({ message: 'must be a duration from 1 second to 1 day, such as 900 or 15m' })
  LOGIN_MAX_DELAY = 900;

  @Transform(toInteger)
  @Min(1)
  @Max(100000)
  @IsInt()
  ACCOUNT_FAILURE_CEILING = 100;

  @Transform(toSeconds)
  @Min(1)
  @Max(86400)
  @IsInt({ message: 'must be a duration from 1 second to 1 day, such as 60 or 1m' })
  ACCOUNT_MAX_DELAY = 60;

  @Transform(toInteger)
  @Min(1)
  @Max(100)
  @IsInt()
  MFA_FAILURES_BEFORE_DELAY = 5;

  @Transform(toSeconds)
  @Min(1)
  @Max(3600)
  @IsInt({ message: 'must be a duration from 1 second to 1 hour, such as 30 or 1m' })
  MFA_FIRST_DELAY = 30;

  @Transform(toSeconds)
  @Min(1)
  @Max(86400)
  @IsInt({ message: 'must be a duration from 1 second to 1 day, such as 3600 or 1h' })
  MFA_MAX_DELAY = 3600;

  @Transform(toInteger)
  @Min(1)
  @Max(100000)
  @IsInt()
  TOKEN_REQUESTS_PER_MINUTE = 60;

  @Transform(toInteger)
  @Min(1)
  @Max(100000)
  @IsInt()
  REGISTRATIONS_PER_HOUR = 20;

  @Transform(toInteger)
  @Min(1)
  @Max(100000)
  @IsInt()
  PROFILE_CHANGES_PER_HOUR = 20;

  @Transform(toInteger)
  @Min(1)
  @Max(3650)
  @IsInt()
  AUDIT_RETENTION_DAYS = 365;

  @IsOptional()
  @IsString()
  @MinLength(1)
  BOOTSTRAP_ADMIN_USERNAME?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  REGISTRATION_ENABLED = true;

  @Transform(toInteger)
  @Min(8, { message: 'must be at least 8 (NIST SP 800-63B)' })
  @Max(128)
  @IsInt()
  PASSWORD_MIN_LENGTH = 15;

  @Transform(toInteger)
  @Min(ARGON2_FLOOR.memoryCost, {
    message: `must be at least ${ARGON2_FLOOR.memoryCost} KiB (OWASP)`,
  })
  @Max(4 * 1024 * 1024)
  @IsInt()
  ARGON2_MEMORY_KIB: number = ARGON2_FLOOR.memoryCost;

  @Transform(toInteger)
  @Min(ARGON2_FLOOR.timeCost, { message: `must be at least ${ARGON2_FLOOR.timeCost} (OWASP)` })
  @Max(100)
  @IsInt()
  ARGON2_TIME_COST: number = ARGON2_FLOOR.timeCost;

  @Transform(toInteger)
  @Min(ARGON2_FLOOR.parallelism)
  @Max(16)
  @IsInt()
  ARGON2_PARALLELISM: number = ARGON2_FLOOR.parallelism;

  @IsOptional()
  @Transform(toInteger)
  @Min(1)
  @Max(1024)
  @IsInt()
  UV_THREADPOOL_SIZE?: number;

  @IsOptional()
  @Transform(toInteger)
  @Min(1)
  @Max(1024)
  @IsInt()
  ARGON2_MAX_CONCURRENCY?: number;

  @Transform(toInteger)
  @Min(0)
  @Max(19)
  @IsInt()
  WORKER_THREAD_NICE = 19;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @Matches(/^\s*(https?:\/\/[^\s/,]+\s*(,\s*https?:\/\/[^\s/,]+\s*)*)?$/, {
    message: 'must be a comma-separated list of origins such as https://app.example.com',
  })
  CORS_ORIGINS = '';

  @Transform(toSeconds)
  @Min(1)
  @Max(300)
  @IsInt({ message: 'must be a duration from 1 second to 5 minutes, such as 30 or 1m' })
  REQUEST_TIMEOUT = 30;

  @Transform(toSeconds)
  @Min(1)
  @Max(600)
  @IsInt({ message: 'must be a duration from 1 second to 10 minutes, such as 10 or 1m' })
  SHUTDOWN_TIMEOUT = 10;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  METRICS_ENABLED = true;

  @Transform(toSeconds)
  @Min(60)
  @Max(86400)
  @IsInt({ message: 'must be a duration from 1 minute to 1 day, such as 1h' })
  PURGE_INTERVAL = 3600;
}

function firstMessage(error: ValidationError): string {
  const constraint = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
  // class-validator prefixes most messages with the property name; keep one copy of it.
  return constraint.startsWith(`${error.property} `)
    ? constraint
    : `${error.property} ${constraint}`;
}

function crossFieldProblem(env: Environment): string | undefined {
  const secretBytes = Buffer.byteLength(env.JWT_SECRET ?? '', 'utf8');
  if (env.JWT_ALG === 'HS256' && secretBytes < 32) {
    return 'JWT_SECRET must be set to at least 32 bytes when JWT_ALG=HS256';
  }
  if (env.JWT_ALG !== 'HS256' && env.JWT_SECRET !== undefined) {
    return `JWT_SECRET is only used with JWT_ALG=HS256; unset it or set JWT_ALG=HS256 (JWT_ALG is ${env.JWT_ALG})`;
  }
  if (env.JWT_ALG === 'HS256' && env.KEY_ROTATION_INTERVAL > 0) {
    return 'KEY_ROTATION_INTERVAL needs an asymmetric JWT_ALG: with HS256 the key is JWT_SECRET';
  }
  if (
    (env.BOOTSTRAP_ADMIN_USERNAME === undefined) !==
    (env.BOOTSTRAP_ADMIN_PASSWORD === undefined)
  ) {
    return 'BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD must be set together';
  }
  if (env.NODE_ENV === 'production') {
    if (env.JWT_SECRET !== undefined && new Set(env.JWT_SECRET).size < 16) {
      return 'JWT_SECRET looks like a placeholder (fewer than 16 distinct characters); NODE_ENV=production refuses it';
    }
    if (env.ISSUER === undefined || !env.ISSUER.startsWith('https://')) {
      return 'ISSUER must be set to an https:// URL when NODE_ENV=production';
    }
  }
  return undefined;
}

/** Empty strings count as unset, so that `FOO=` in an env file falls back to the default. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const [error] = validateSync(env, { stopAtFirstError: true });
  if (error) {
    throw new InvalidConfigurationError(`Invalid configuration: ${firstMessage(error)}`);
  }
  const problem = crossFieldProblem(env);
  if (problem) {
    throw new InvalidConfigurationError(`Invalid configuration: ${problem}`);
  }
  return env;
}
