import { Matches } from 'class-validator';

/**
 * Free text (a full name, a client's name, a search): one line of printable characters.
 * Control characters have no place there, and PostgreSQL cannot store NUL in text at all (a 500
 * on that database before this rule).
 */
export const SingleLineText = () =>
  Matches(/^\P{Cc}*$/u, { message: '$property must not contain control characters' });
