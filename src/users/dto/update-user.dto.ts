import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';
import { UpdateProfileDto } from './update-profile.dto';
import { RolesField } from './user-fields';

export class UpdateUserDto extends UpdateProfileDto {
  @RolesField()
  roles?: string[];

  // Swagger UI would otherwise pre-fill `true` and disable whoever tries the route.
  @ApiPropertyOptional({
    example: false,
    description: 'A disabled account cannot log in or use its tokens',
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined)
  @IsBoolean()
  disabled?: boolean;
}
