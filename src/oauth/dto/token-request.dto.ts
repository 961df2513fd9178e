import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IgnoresUnknownFields } from '../../common/validation.pipe';
import { SingleLineText } from '../../common/single-line-text.decorator';
import { ClientAuthenticationBody, LEFT_EMPTY } from './client-authentication-body';

/** The second step of a password login whose account has a second factor (docs/api.md). */
export const MFA_GRANT_TYPE = 'urn:portcullis:params:oauth:grant-type:mfa';
export const GRANT_TYPES = [
  'password',
  'refresh_token',
  'client_credentials',
  MFA_GRANT_TYPE,
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

@IgnoresUnknownFields()
export class TokenRequestDto extends ClientAuthenticationBody {
  @ApiPropertyOptional({ enum: GRANT_TYPES, default: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  grant_type?: string;

  @ApiPropertyOptional({ example: 'ada.lovelace' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  // No username holds one; PostgreSQL cannot even compare a NUL, and it would reach the audit log.
  @SingleLineText()
  username?: string;

  @ApiPropertyOptional({ example: 'correct horse battery staple' })
  @IsOptional()
  @IsString()
  password?: string;

  @ApiPropertyOptional({
    ...LEFT_EMPTY,
    description: 'Space-separated scopes; default: all the grant allows',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scope?: string;

  @ApiPropertyOptional({
    ...LEFT_EMPTY,
    description: 'grant_type=refresh_token: the refresh token to rotate',
  })
  @IsOptional()
  @IsString()
  refresh_token?: string;

  @ApiPropertyOptional({
    ...LEFT_EMPTY,
    description: `grant_type=${MFA_GRANT_TYPE}: the mfa_token of the password step's 403`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  mfa_token?: string;

  @ApiPropertyOptional({
    ...LEFT_EMPTY,
    description: `grant_type=${MFA_GRANT_TYPE}: a code from the authenticator app`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  otp?: string;

  @ApiPropertyOptional({
    ...LEFT_EMPTY,
    description: `grant_type=${MFA_GRANT_TYPE}: a recovery code, instead of otp`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  recovery_code?: string;
}
