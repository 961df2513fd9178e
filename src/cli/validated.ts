import { Type } from '@nestjs/common';
import { createValidationPipe } from '../common/validation.pipe';

const pipe = createValidationPipe();

/**
 * The rules of the HTTP twin's body or query, applied to what the command line gave. An option
 * not given is absent, as a field an HTTP client left out, so the DTO's default applies.
 */
export async function validated<T extends object>(type: Type<T>, input: object): Promise<T> {
  const given = Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  );
  return (await pipe.transform(given, { type: 'body', metatype: type })) as T;
}
