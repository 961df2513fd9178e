import { applyDecorators } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ApiProblemResponse } from './api-problem-response.decorator';

export function ApiUuidParam(name: string) {
  return applyDecorators(
    ApiParam({ name, format: 'uuid' }),
    ApiProblemResponse(400, `The ${name} is not a UUID`),
  );
}
