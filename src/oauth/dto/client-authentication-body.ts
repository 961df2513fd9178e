import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

// Swagger UI pre-fills a field with "string" unless it has an example, and sends an empty field as
// `name=`: "Try it out" with only a username and password must be a plain login.
export const LEFT_EMPTY = { example: '' } as const;

/** Client authentication in the body (RFC 6749 section 2.3.1), on every OAuth endpoint. */
export class ClientAuthenticationBody {
  @ApiPropertyOptional({ ...LEFT_EMPTY, description: 'Or HTTP Basic; not both' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;

  @ApiPropertyOptional(LEFT_EMPTY)
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  client_secret?: string;
}
