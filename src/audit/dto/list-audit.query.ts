import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { CursorField } from '../../common/keyset-cursor';
import { SECURITY_EVENT_TYPES } from '../../events/security-event';

export class ListAuditQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ enum: SECURITY_EVENT_TYPES })
  @IsOptional()
  @IsIn(SECURITY_EVENT_TYPES)
  type?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit = 50;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The id of the last event already seen (older clients; `after` needs no lookup)',
  })
  @IsOptional()
  @IsUUID()
  before?: string;

  @CursorField('audit')
  after?: string;
}
