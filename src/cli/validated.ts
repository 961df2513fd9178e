import { Type } from '@nestjs/common';
import { createValidationPipe } from '../common/validation.pipe';

const pipe = createValidationPipe();

/** The rules of the HTTP twin's body or query, applied to what the command line gave. */
export async function validated<T extends object>(type: Type<T>, input: object): Promise<T> {
  return (await pipe.transform(input, { type: 'body', metatype: type })) as T;
}
