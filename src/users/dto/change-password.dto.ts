import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { NewPasswordField } from './user-fields';

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  currentPassword: string;

  @NewPasswordField()
  newPassword: string;
}
