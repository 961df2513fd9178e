import { RegisterUserDto } from './register-user.dto';
import { RolesField } from './user-fields';

export class CreateUserDto extends RegisterUserDto {
  @RolesField()
  roles?: string[];
}
