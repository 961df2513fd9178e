import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { toBoolean, toInteger, toSeconds } from './environment-values';

const LINK_TEMPLATE = /^https?:\/\/\S*\{token\}\S*$/;
const LINK_TEMPLATE_MESSAGE = 'must be an http(s) URL containing {token}';

/** The mail, account recovery and verification variables (docs/configuration.md, Mail). */
export class MailEnvironment {
  @IsOptional()
  @Matches(/^(smtps?:\/\/\S+|file:.+)$/, {
    message: 'must be smtp://USER:PASS@HOST:PORT, smtps://... or file:DIR',
  })
  MAIL_URL?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[^\r\n]*@[^\r\n]*$/, { message: 'must be an address such as Name <no-reply@host>' })
  MAIL_FROM?: string;

  @IsString()
  @MaxLength(100)
  @Matches(/^[^\r\n]+$/, { message: 'must be one line of text' })
  MAIL_PRODUCT_NAME = 'Portcullis';

  @IsOptional()
  @IsString()
  MAIL_TEMPLATES_DIR?: string;

  @Transform(toInteger)
  @Min(1)
  @Max(50)
  @IsInt()
  MAIL_MAX_ATTEMPTS = 10;

  @Transform(toSeconds)
  @Min(1)
  @Max(3600)
  @IsInt({ message: 'must be a duration from 1 second to 1 hour, such as 30 or 1m' })
  MAIL_RETRY_DELAY = 30;

  @Transform(toSeconds)
  @Min(1)
  @Max(600)
  @IsInt({ message: 'must be a duration from 1 second to 10 minutes, such as 5 or 1m' })
  MAIL_SEND_INTERVAL = 5;

  @Transform(toInteger)
  @Min(1)
  @Max(100000)
  @IsInt()
  MAIL_REQUESTS_PER_HOUR_PER_IP = 20;

  @Transform(toInteger)
  @Min(1)
  @Max(1000)
  @IsInt()
  MAIL_REQUESTS_PER_HOUR_PER_ACCOUNT = 5;

  @IsOptional()
  @Matches(LINK_TEMPLATE, { message: LINK_TEMPLATE_MESSAGE })
  PASSWORD_RESET_URL?: string;

  @IsOptional()
  @Matches(LINK_TEMPLATE, { message: LINK_TEMPLATE_MESSAGE })
  EMAIL_VERIFY_URL?: string;

  @Transform(toSeconds)
  @Min(60)
  @Max(86400)
  @IsInt({ message: 'must be a duration from 1 minute to 1 day, such as 30m' })
  PASSWORD_RESET_TTL = 30 * 60;

  @Transform(toSeconds)
  @Min(60)
  @Max(30 * 86400)
  @IsInt({ message: 'must be a duration from 1 minute to 30 days, such as 24h' })
  EMAIL_VERIFY_TTL = 24 * 3600;

  @Transform(toBoolean)
  @IsBoolean({ message: 'must be true or false' })
  REQUIRE_VERIFIED_EMAIL = false;
}
