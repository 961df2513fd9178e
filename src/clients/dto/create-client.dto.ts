import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { SingleLineText } from '../../common/single-line-text.decorator';

export const CLIENT_GRANTS = ['client_credentials', 'password', 'refresh_token'] as const;
export type ClientGrant = (typeof CLIENT_GRANTS)[number];
export const SCOPE_PATTERN = /^[A-Za-z0-9:._/-]{1,64}$/;

export class CreateClientDto {
  @ApiProperty({ example: 'billing-service' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @SingleLineText()
  name: string;

  @ApiProperty({ type: [String], example: ['invoices:read', 'invoices:write'] })
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(SCOPE_PATTERN, { each: true, message: `each scope must match ${SCOPE_PATTERN.source}` })
  scopes: string[];

  @ApiPropertyOptional({
    enum: CLIENT_GRANTS,
    isArray: true,
    description: 'Default: client_credentials; for a public client, password and refresh_token',
  })
  // Not IsOptional: `null` must not reach the NOT NULL column.
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsArray()
  @ArrayUnique()
  @IsIn(CLIENT_GRANTS, { each: true })
  grants?: ClientGrant[];

  // Swagger UI would otherwise pre-fill `true`.
  @ApiPropertyOptional({
    example: false,
    description: 'A first-party app that cannot keep a secret: no secret, no client_credentials',
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsBoolean()
  public?: boolean;
}
