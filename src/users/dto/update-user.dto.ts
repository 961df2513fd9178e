import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';
import { UpdateProfileDto } from './update-profile.dto';
import { RolesField } from './user-fields';

export class UpdateUserDto extends UpdateProfileDto {
  @RolesField()
  roles?: string[];

  @ApiPropertyOptional({ description: 'A disabled account cannot log in or use its tokens' })
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsBoolean()
  disabled?: boolean;
}
