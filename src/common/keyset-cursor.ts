import { BadRequestException, applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';
import { createHash } from 'node:crypto';

/** Where a page ended in a list ordered by (time, id): the next page starts past it. */
export interface KeysetPosition {
  at: Date;
  id: string;
}

export type CursorList = 'users' | 'audit' | 'sessions';

// Not a secret and not a signature: a hand-made cursor reaches only rows the caller may list
// anyway. The checksum turns a mangled one, or one from another list, into a 400, never a wrong page.
function checksum(list: CursorList, body: string): string {
  return createHash('sha256').update(`${list}:${body}`).digest('base64url').slice(0, 12);
}

const DECODED = /^(\d{1,15})\.([0-9a-f-]{36})\.([\w-]{12})$/;

export function encodeCursor(list: CursorList, { at, id }: KeysetPosition): string {
  const body = `${at.getTime()}.${id}`;
  return Buffer.from(`${body}.${checksum(list, body)}`).toString('base64url');
}

export function parseCursor(list: CursorList, cursor: string): KeysetPosition | null {
  const match = DECODED.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match || checksum(list, `${match[1]}.${match[2]}`) !== match[3]) {
    return null;
  }
  return { at: new Date(Number(match[1])), id: match[2] };
}

/** For a query the validation pipe has passed through CursorField (which answers 400 first). */
export function cursorPosition(list: CursorList, cursor: string): KeysetPosition {
  const position = parseCursor(list, cursor);
  if (!position) {
    throw new BadRequestException('after is not a cursor this list gave out');
  }
  return position;
}

/** The `after` query parameter: a cursor from the `next` of the previous page of `list`. */
export const CursorField = (list: CursorList) =>
  applyDecorators(
    ApiPropertyOptional({
      description: 'Opaque cursor: the `next` of the previous page (or the Link rel="next")',
    }),
    IsOptional(),
    IsString(),
    MaxLength(200),
    ValidateBy({
      name: 'isCursor',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && parseCursor(list, value) !== null,
        defaultMessage: () => '$property is not a cursor this list gave out',
      },
    }),
  );

/** The next page's cursor when `rows` (fetched with one row more than `limit`) has more. */
export function pageOf<Row>(
  list: CursorList,
  rows: Row[],
  limit: number,
  positionOf: (row: Row) => KeysetPosition,
): { items: Row[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    next: rows.length > limit && last ? encodeCursor(list, positionOf(last)) : null,
  };
}
