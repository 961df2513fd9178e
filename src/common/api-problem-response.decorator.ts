import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDetailsDto } from './problem-details.dto';

/** Swagger: an error answered as RFC 9457 problem details, as the exception filter sends it. */
export function ApiProblemResponse(status: number, description: string) {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ApiResponse({
      status,
      description,
      content: {
        'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
      },
    }),
  );
}

/** Why a route that reads the database (or Redis) answers 503 (fail closed, then recover). */
export const UNAVAILABLE_DESCRIPTION =
  'The database or Redis cannot be reached: nothing was done; retry after Retry-After seconds';
