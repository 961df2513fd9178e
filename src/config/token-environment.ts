import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { toSeconds } from './environment-values';
import { MailEnvironment } from './mail-environment';

export const JWT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Tokens, signing keys and client secrets (docs/configuration.md, Tokens and keys). */
export class TokenEnvironment extends MailEnvironment {
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http(s) URL' })
  ISSUER?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  AUDIENCE?: string;

  @IsIn(JWT_ALGORITHMS, { message: `must be one of ${JWT_ALGORITHMS.join(', ')}` })
  JWT_ALG: JwtAlgorithm = 'RS256';

  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(/^[^,]{32,}(,[^,]{32,})*$/, {
    message: 'must be secrets of at least 32 characters, separated by commas (the first encrypts)',
  })
  KEY_ENCRYPTION_KEY?: string;

  @Transform(toSeconds)
  @Min(30)
  @Max(86400)
  @IsInt({ message: 'must be a duration such as 900, 900s, 15m, 12h or 30d' })
  ACCESS_TOKEN_TTL = 900;

  @Transform(toSeconds)
  @Min(0)
  @Max(365 * 86400)
  @IsInt({ message: 'must be a duration such as 30d or 12h, or 0 for no scheduled rotation' })
  KEY_ROTATION_INTERVAL = 0;

  @Transform(toSeconds)
  @Min(1)
  @Max(300)
  @IsInt({ message: 'must be a duration from 1 second to 5 minutes, such as 10 or 1m' })
  KEY_RELOAD_INTERVAL = 10;

  @Transform(toSeconds)
  @Min(60)
  @Max(365 * 86400)
  @IsInt({ message: 'must be a duration such as 3600, 12h or 30d' })
  REFRESH_TOKEN_TTL = 30 * 86400;

  @Transform(toSeconds)
  @Min(60)
  @Max(365 * 86400)
  @IsInt({ message: 'must be a duration such as 3600, 12h or 7d' })
  REFRESH_IDLE_TTL = 7 * 86400;

  @Transform(toSeconds)
  @Min(0)
  @Max(300)
  @IsInt({ message: 'must be a number of seconds from 0 to 300' })
  REFRESH_REUSE_GRACE = 0;

  @Transform(toSeconds)
  @Min(0)
  @Max(30 * 86400)
  @IsInt({ message: 'must be a duration from 0 to 30 days, such as 24h' })
  CLIENT_SECRET_OVERLAP = 24 * 3600;
}
