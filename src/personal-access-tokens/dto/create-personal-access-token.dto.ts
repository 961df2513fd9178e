import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { SingleLineText } from '../../common/single-line-text.decorator';
import { PERSONAL_ACCESS_TOKEN_SCOPES, PROFILE_SCOPE } from '../../oauth/scopes';

// Not IsOptional: `null` must not reach a NOT NULL column.
const unlessAbsent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class CreatePersonalAccessTokenDto {
  @ApiProperty({ example: 'backup script on nas-01', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @SingleLineText()
  name: string;

  @ApiPropertyOptional({
    enum: PERSONAL_ACCESS_TOKEN_SCOPES,
    isArray: true,
    example: [PROFILE_SCOPE],
    description: `Default: ${PROFILE_SCOPE}. \`admin\` (the admin routes) needs the admin role`,
  })
  @unlessAbsent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(PERSONAL_ACCESS_TOKEN_SCOPES, { each: true })
  scopes?: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'In the future, at most 365 days ahead. Default: 90 days from now',
  })
  @unlessAbsent()
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt?: string;
}
