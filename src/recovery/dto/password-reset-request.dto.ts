import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { EmailField } from '../../users/dto/user-fields';

export class PasswordResetRequestDto {
  @EmailField()
  email?: string;

  @ApiPropertyOptional({ example: 'ada.lovelace', description: 'When no email is given' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  username?: string;
}
