import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** Longer than any code, TOTP or recovery, typed with spaces and hyphens. */
const CODE_MAX_LENGTH = 64;

export class EnrolTotpDto {
  @ApiProperty({ description: 'Your password, to confirm it is you' })
  @IsString()
  currentPassword: string;
}

export class MfaCodeDto {
  @ApiProperty({
    example: '123456',
    maxLength: CODE_MAX_LENGTH,
    description: 'A code from your authenticator app (or, where accepted, a recovery code)',
  })
  @IsString()
  @MaxLength(CODE_MAX_LENGTH)
  code: string;
}

export class DisableTotpDto extends MfaCodeDto {
  @ApiProperty({ description: 'Your password, to confirm it is you' })
  @IsString()
  currentPassword: string;
}
