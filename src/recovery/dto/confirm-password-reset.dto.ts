import { NewPasswordField } from '../../users/dto/user-fields';
import { AccountTokenField } from './account-token-field';

export class ConfirmPasswordResetDto {
  @AccountTokenField()
  token: string;

  @NewPasswordField()
  newPassword: string;
}
