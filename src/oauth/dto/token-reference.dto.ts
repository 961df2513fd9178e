import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IgnoresUnknownFields } from '../../common/validation.pipe';
import { ClientAuthenticationBody } from './client-authentication-body';

export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'] as const;

/** The body of RFC 7009 revocation and RFC 7662 introspection requests. */
@IgnoresUnknownFields()
export class TokenReferenceDto extends ClientAuthenticationBody {
  @ApiProperty({ description: 'An access token or a refresh token' })
  @IsString()
  @MaxLength(8192)
  token: string;

  // RFC 7009 section 2.1 / RFC 7662 section 2.1: an unknown hint is ignored, not refused.
  @ApiPropertyOptional({ enum: TOKEN_TYPE_HINTS })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}
