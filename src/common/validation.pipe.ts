import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import {
  RequestValidationException,
  toRequestValidationException,
} from './request-validation.exception';

/** DTO instances this pipeline built from a request, each after it validated. */
const validatedByThisPipeline = new WeakSet<object>();

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * class-validator's whitelist looks a field up in a plain object of the DTO's rules, where
 * `constructor`, `toString`, `valueOf` and the rest of Object.prototype are always found, so
 * `forbidNonWhitelisted` let those names through. No DTO declares one: they are unknown fields.
 */
function refuseInheritedNames(value: unknown, { metatype }: ArgumentMetadata): void {
  if (!isObject(value) || !metatype || metatype === Object) {
    return;
  }
  const inherited = Object.keys(value).filter((key) => key in Object.prototype);
  if (inherited.length > 0) {
    throw new RequestValidationException(
      inherited.map((field) => ({ field, message: `property ${field} should not exist` })),
    );
  }
}

/**
 * The token endpoint's guard validates the body before Passport reads it and leaves the DTO on
 * the request, where the handler's @Body() finds it: that very object is not validated a second
 * time (class-validator was a quarter of what a login allocates, issue 5). Anything else is, an
 * instance built elsewhere included: only this pipeline's own output is trusted.
 */
class ValidateOncePipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (
      isObject(value) &&
      validatedByThisPipeline.has(value) &&
      metatype &&
      value instanceof metatype
    ) {
      return value;
    }
    refuseInheritedNames(value, metadata);
    const transformed: unknown = await super.transform(value, metadata);
    if (isObject(transformed) && transformed !== value) {
      validatedByThisPipeline.add(transformed);
    }
    return transformed;
  }
}

/**
 * The one validation setup (APP_PIPE, and the token endpoint's guard, which must check field
 * types before Passport reads them): unknown fields are refused, which is what stops mass
 * assignment of `roles` or `disabled` through a body that does not name them.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidateOncePipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: toRequestValidationException,
  });
}
