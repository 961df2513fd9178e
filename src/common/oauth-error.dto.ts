import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 6749 section 5.2: how the OAuth endpoints answer errors (application/json). */
export class OAuthErrorDto {
  @ApiProperty({ example: 'invalid_grant' })
  error: string;

  @ApiProperty({ example: 'Incorrect username or password' })
  error_description: string;

  @ApiPropertyOptional({
    description:
      'With mfa_required only: send it back with the second factor (opaque, single use, 5 minutes)',
  })
  mfa_token?: string;
}
