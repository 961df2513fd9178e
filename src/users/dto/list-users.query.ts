import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { SingleLineText } from '../../common/single-line-text.decorator';

export class ListUsersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 0,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // `1e308` and 2^63 pass IsInt, and the databases refuse them (a 500 before this bound).
  @Max(Number.MAX_SAFE_INTEGER)
  offset = 0;

  @ApiPropertyOptional({ description: 'Case-insensitive search in username, email and full name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @SingleLineText()
  q?: string;
}
