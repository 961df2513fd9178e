import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';

type Indicators = Record<string, { status: 'up' }>;

const INDICATORS: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up'] } },
    required: ['status'],
  },
  example: { database: { status: 'up' } },
};

export class HealthCheckResponse {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';

  @ApiProperty(INDICATORS)
  info: Indicators;

  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  error: Record<string, never>;

  @ApiProperty(INDICATORS)
  details: Indicators;
}
