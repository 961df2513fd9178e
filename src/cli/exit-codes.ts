import { HttpException } from '@nestjs/common';

/** What scripts can test for; docs/operations.md, Command line, lists them. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, conflict: 4 } as const;

/** A command line the CLI refuses before doing anything. */
export class UsageError extends Error {}

/** The HTTP twin's answer, as an exit code: 400 is bad input, 404 not found, 409 a conflict. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) {
    return EXIT.usage;
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) {
      return EXIT.notFound;
    }
    if (status === 409) {
      return EXIT.conflict;
    }
    return status === 400 || status === 422 ? EXIT.usage : EXIT.failure;
  }
  return EXIT.failure;
}

export function messageOf(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    if (Array.isArray(message)) {
      return message.join('; ');
    }
    return typeof message === 'string' ? message : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
