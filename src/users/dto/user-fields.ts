import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { SingleLineText } from '../../common/single-line-text.decorator';
import { USERNAME_PATTERN } from '../username';

export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

export const UsernameField = () =>
  applyDecorators(
    ApiProperty({ example: 'ada.lovelace', pattern: USERNAME_PATTERN.source }),
    IsString(),
    Matches(USERNAME_PATTERN, {
      message: 'username must be 3 to 64 letters, digits, dots, underscores or hyphens',
    }),
  );

// Length bounds are configuration (PASSWORD_MIN_LENGTH), so swagger.ts writes them into each field.
export const NEW_PASSWORD_FORMAT = 'new-password';

export const NewPasswordField = () =>
  applyDecorators(
    ApiProperty({
      format: NEW_PASSWORD_FORMAT,
      example: 'correct horse battery staple',
      description: 'Length in Unicode code points; not a common password, nor the username',
    }),
    IsString(),
  );

export const EmailField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      format: 'email',
      nullable: true,
      example: 'ada@example.com',
      maxLength: 254,
    }),
    IsOptional(),
    IsString(),
    MaxLength(254),
    IsEmail(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim().toLowerCase() : value,
    ),
  );

export const FullNameField = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, nullable: true, example: 'Ada Lovelace', maxLength: 200 }),
    IsOptional(),
    IsString(),
    MaxLength(200),
    SingleLineText(),
  );

export const RolesField = () =>
  applyDecorators(
    // Not ['user', 'admin']: Swagger UI sends the example, and would create administrators.
    ApiPropertyOptional({ type: [String], example: ['user'] }),
    // Not IsOptional: that would let `null` through to a NOT NULL column.
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    IsArray(),
    ArrayMaxSize(20),
    Matches(ROLE_PATTERN, { each: true, message: 'each role must match ' + ROLE_PATTERN.source }),
  );
