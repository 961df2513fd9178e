import { ValidationPipe } from '@nestjs/common';
import { toRequestValidationException } from './request-validation.exception';

/**
 * The one validation setup (APP_PIPE, and the token endpoint's guard, which must check field
 * types before Passport reads them): unknown fields are refused, which is what stops mass
 * assignment of `roles` or `disabled` through a body that does not name them.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: toRequestValidationException,
  });
}
