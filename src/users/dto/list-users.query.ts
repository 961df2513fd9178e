import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CursorField } from '../../common/keyset-cursor';
import { SingleLineText } from '../../common/single-line-text.decorator';

/** Offsets and counts stop here: past it, an offset or an exact count reads the whole table. */
export const LIST_WINDOW = 10_000;

export const SEARCH_MODES = ['prefix', 'substring'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export const TOTAL_MODES = ['capped', 'exact'] as const;

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
    maximum: LIST_WINDOW,
    default: 0,
    description: 'Rows to skip; kept for older clients. Pages past the first use `after` instead',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(LIST_WINDOW)
  offset?: number;

  @CursorField('users')
  after?: string;

  @ApiPropertyOptional({
    description: 'Case-insensitive search: see `search` for how it matches',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @SingleLineText()
  q?: string;

  @ApiPropertyOptional({
    enum: SEARCH_MODES,
    default: 'prefix',
    description:
      '`prefix`: usernames and emails that start with q. `substring`: usernames, emails and ' +
      'full names that contain q (indexed on PostgreSQL with pg_trgm, a scan otherwise)',
  })
  @IsOptional()
  @IsIn(SEARCH_MODES)
  search: SearchMode = 'prefix';

  @ApiPropertyOptional({
    enum: TOTAL_MODES,
    default: 'capped',
    description: `\`capped\`: matches counted up to ${LIST_WINDOW}. \`exact\`: all counted (slow on large tables)`,
  })
  @IsOptional()
  @IsIn(TOTAL_MODES)
  total: (typeof TOTAL_MODES)[number] = 'capped';
}
