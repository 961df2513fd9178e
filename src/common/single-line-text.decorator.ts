import { Matches } from 'class-validator';

// Control characters have no place in free text, and PostgreSQL cannot store NUL in text (a 500).
export const SingleLineText = () =>
  Matches(/^\P{Cc}*$/u, { message: '$property must not contain control characters' });
