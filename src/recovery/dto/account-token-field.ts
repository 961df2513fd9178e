import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** Any string: a malformed token gets the same answer as an expired one. */
export const AccountTokenField = () =>
  applyDecorators(
    ApiProperty({ description: 'The code from the mail (the link carries it after #token=)' }),
    IsString(),
    MaxLength(256),
  );
