import { applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemDetailsDto } from './problem-details.dto';

export const OAUTH2_SCHEME = 'oauth2';

/** Swagger: the route needs a bearer token (the UI's Authorize button supplies it). */
export function ApiBearerAccess(options: { admin?: boolean } = {}) {
  const decorators = [
    ApiOAuth2([], OAUTH2_SCHEME),
    ApiUnauthorizedResponse({
      type: ProblemDetailsDto,
      description: 'Missing, invalid or expired token',
    }),
  ];
  if (options.admin) {
    decorators.push(
      ApiForbiddenResponse({ type: ProblemDetailsDto, description: 'The caller is not an admin' }),
    );
  }
  return applyDecorators(...decorators);
}
