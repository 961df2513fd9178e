import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { SingleLineText } from '../../common/single-line-text.decorator';

export const CLIENT_GRANTS = ['client_credentials', 'password', 'refresh_token'] as const;
export type ClientGrant = (typeof CLIENT_GRANTS)[number];
export const SCOPE_PATTERN = /^[A-Za-z0-9:._/-]{1,64}$/;

// Not IsOptional: `null` must not reach a NOT NULL column.
const UnlessAbsent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The rules of each field, the same at creation and in an update. */
export const ClientName = ({ optional }: { optional: boolean }) =>
  applyDecorators(
    (optional ? ApiPropertyOptional : ApiProperty)({ example: 'billing-service' }),
    ...(optional ? [UnlessAbsent()] : []),
    IsString(),
    MinLength(1),
    MaxLength(200),
    SingleLineText(),
  );

export const ClientScopes = ({ optional }: { optional: boolean }) =>
  applyDecorators(
    (optional ? ApiPropertyOptional : ApiProperty)({
      type: [String],
      example: ['invoices:read', 'invoices:write'],
    }),
    ...(optional ? [UnlessAbsent()] : []),
    IsArray(),
    ArrayMaxSize(50),
    ArrayUnique(),
    Matches(SCOPE_PATTERN, {
      each: true,
      message: `each scope must match ${SCOPE_PATTERN.source}`,
    }),
  );

export const ClientGrants = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ enum: CLIENT_GRANTS, isArray: true, description }),
    UnlessAbsent(),
    IsArray(),
    ArrayUnique(),
    IsIn(CLIENT_GRANTS, { each: true }),
  );
