import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import {
  FieldError,
  RequestValidationException,
  toRequestValidationException,
} from './request-validation.exception';

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
 * Deeper than any DTO goes. class-transformer and the pipe's own prototype-key stripping recurse:
 * a 3 kB body of nested brackets overflowed the stack, a 500.
 */
const MAX_DEPTH = 32;

/**
 * JSON can carry half of a UTF-16 surrogate pair (`"\ud800"`), which becomes U+FFFD when stored
 * or hashed: two different passwords would then be one, and validator.js's isEmail throws on it.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Refuses, before any recursive code sees it, input nested too deep or not well-formed text. */
function refuseMalformedInput(value: unknown, { data, type }: ArgumentMetadata): void {
  const errors: FieldError[] = [];
  const pending = [{ value, field: data ?? type, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { field, depth } = next;
    if (typeof next.value === 'string' && LONE_SURROGATE.test(next.value)) {
      errors.push({ field, message: `${field} must be well-formed Unicode text` });
    } else if (isObject(next.value)) {
      if (depth === MAX_DEPTH) {
        throw new RequestValidationException([
          { field, message: `${field} is nested more than ${MAX_DEPTH} levels deep` },
        ]);
      }
      for (const [key, child] of Object.entries(next.value)) {
        const path = depth === 0 && data === undefined ? key : `${field}.${key}`;
        pending.push({ value: child, field: path, depth: depth + 1 });
      }
    }
  }
  if (errors.length > 0) {
    throw new RequestValidationException(errors);
  }
}

/** Checks no recursive code (class-transformer, the whitelist) can be trusted with. */
class GuardedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      refuseMalformedInput(value, metadata);
    }
    refuseInheritedNames(value, metadata);
    return super.transform(value, metadata);
  }
}

/**
 * The one validation setup (APP_PIPE): unknown fields are refused, which is what stops mass
 * assignment of `roles` or `disabled` through a body that does not name them.
 */
export function createValidationPipe(): ValidationPipe {
  return new GuardedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: toRequestValidationException,
  });
}
