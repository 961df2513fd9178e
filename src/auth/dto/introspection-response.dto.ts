import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 7662 section 2.2; an inactive token is `{ "active": false }` and nothing more. */
export class IntrospectionResponseDto {
  @ApiProperty()
  active: boolean;

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  token_type?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ description: 'User id, or the client id for client_credentials' })
  sub?: string;

  @ApiPropertyOptional()
  scope?: string;

  @ApiPropertyOptional()
  client_id?: string;

  @ApiPropertyOptional()
  username?: string;

  @ApiPropertyOptional()
  exp?: number;

  @ApiPropertyOptional()
  iat?: number;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional()
  aud?: string;

  @ApiPropertyOptional()
  jti?: string;
}
