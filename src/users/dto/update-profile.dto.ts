import { EmailField, FullNameField } from './user-fields';

export class UpdateProfileDto {
  @EmailField()
  email?: string;

  @FullNameField()
  fullName?: string;
}
