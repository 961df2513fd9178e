import { ArgumentMetadata, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import {
  FieldError,
  RequestValidationException,
  toRequestValidationException,
} from './request-validation.exception';

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

// class-validator's whitelist finds Object.prototype's names (`constructor`, `toString`, …) in its
// plain object of rules, so `forbidNonWhitelisted` let them through.
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

// class-transformer and the pipe's prototype-key stripping recurse: a 3 kB body of nested brackets
// overflowed the stack, a 500.
const MAX_DEPTH = 32;

// A lone surrogate (`"\ud800"`) becomes U+FFFD when stored or hashed, so two passwords would be
// one; validator.js's isEmail throws on it.
const LONE_SURROGATE = /\p{Cs}/u;

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

const IGNORES_UNKNOWN_FIELDS = Symbol('ignoresUnknownFields');

/**
 * For the OAuth endpoints' bodies: parameters the DTO does not declare are dropped, not refused
 * (RFC 6749 section 3.2, RFC 7009, RFC 7662); declared ones keep their type checks.
 */
export const IgnoresUnknownFields = (): ClassDecorator => (target) =>
  Reflect.defineMetadata(IGNORES_UNKNOWN_FIELDS, true, target);

function ignoresUnknownFields({ metatype }: ArgumentMetadata): boolean {
  return metatype !== undefined && Reflect.getMetadata(IGNORES_UNKNOWN_FIELDS, metatype) === true;
}

function withoutInheritedNames(value: unknown): unknown {
  return isObject(value)
    ? Object.fromEntries(Object.entries(value).filter(([key]) => !(key in Object.prototype)))
    : value;
}

class GuardedValidationPipe extends ValidationPipe {
  private readonly lenient: ValidationPipe;

  constructor(options: ValidationPipeOptions) {
    super(options);
    this.lenient = new ValidationPipe({ ...options, forbidNonWhitelisted: false });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata)) {
      refuseMalformedInput(value, metadata);
    }
    if (ignoresUnknownFields(metadata)) {
      return this.lenient.transform(withoutInheritedNames(value), metadata);
    }
    refuseInheritedNames(value, metadata);
    return super.transform(value, metadata);
  }
}

/** Unknown fields are refused (but see IgnoresUnknownFields): no mass assignment of `roles`. */
export function createValidationPipe(): ValidationPipe {
  return new GuardedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: toRequestValidationException,
  });
}
