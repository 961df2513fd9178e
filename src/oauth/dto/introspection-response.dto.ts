import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 section 2.2; an inactive token is `{ "active": false }` and nothing more. */
export class IntrospectionResponseDto {
  @ApiProperty()
  active: boolean;

  /** RFC 6749 section 5.1's type; a refresh token has none there, so `refresh_token`. */
  @ApiPropertyOptional({
    enum: ['bearer', 'refresh_token', 'personal_access_token'],
    description:
      'bearer for an access token (accept only these as access tokens), refresh_token, or ' +
      'personal_access_token (no jti, no aud)',
  })
  token_type?: 'bearer' | 'refresh_token' | 'personal_access_token';

  @ApiPropertyOptional({ description: 'User id, or the client id for client_credentials' })
  sub?: string;

  @ApiPropertyOptional()
  scope?: string;

  @ApiPropertyOptional()
  client_id?: string;

  @ApiPropertyOptional()
  username?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['pwd', 'otp'],
    description:
      "RFC 8176 methods of the user's login: pwd, plus otp (TOTP) or mfa (recovery code)",
  })
  amr?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'Seconds since the epoch' })
  exp?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Seconds since the epoch' })
  iat?: number;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional()
  aud?: string;

  @ApiPropertyOptional()
  jti?: string;
}
