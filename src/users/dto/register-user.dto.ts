import { EmailField, FullNameField, NewPasswordField, UsernameField } from './user-fields';

export class RegisterUserDto {
  @UsernameField()
  username: string;

  @NewPasswordField()
  password: string;

  @EmailField()
  email?: string;

  @FullNameField()
  fullName?: string;
}
