import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class TokenResponseDto {
  @ApiProperty({ description: 'A JWT (RFC 9068) to send as `Authorization: Bearer`' })
  access_token: string;

  @ApiProperty({ enum: ['bearer'] })
  token_type: 'bearer';

  @ApiProperty({
    type: 'integer',
    example: 900,
    description: 'Seconds until the access token expires',
  })
  expires_in: number;

  @ApiPropertyOptional({ description: 'Opaque; absent for client_credentials' })
  refresh_token?: string;

  @ApiProperty({ example: 'profile' })
  scope: string;
}
