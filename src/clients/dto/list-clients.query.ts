import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { POSSIBLE_CLIENT_ID } from '../client-id';

export class ListClientsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit = 50;

  @ApiPropertyOptional({
    description: 'Cursor: the clientId of the last client already seen (clients come by clientId)',
  })
  @IsOptional()
  @Matches(POSSIBLE_CLIENT_ID, { message: 'after must be a clientId' })
  after?: string;
}
