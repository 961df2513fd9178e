import { BadRequestException } from '@nestjs/common';
import { ValidationError } from 'class-validator';

export interface FieldError {
  field: string;
  message: string;
}

/** A body of thousands of unknown fields must not earn an answer ten times its size. */
const MAX_LISTED_ERRORS = 20;

export class RequestValidationException extends BadRequestException {
  readonly fieldErrors: FieldError[];

  constructor(fieldErrors: FieldError[]) {
    const listed = fieldErrors.slice(0, MAX_LISTED_ERRORS);
    const more = fieldErrors.length - listed.length;
    const messages = listed.map((error) => error.message);
    super(more > 0 ? [...messages, `and ${more} more`].join('; ') : messages.join('; '));
    this.fieldErrors = listed;
  }
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return own.concat(flatten(error.children ?? [], field));
  });
}

export function toRequestValidationException(
  errors: ValidationError[],
): RequestValidationException {
  return new RequestValidationException(flatten(errors));
}
