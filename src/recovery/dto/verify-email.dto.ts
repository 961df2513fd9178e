import { AccountTokenField } from './account-token-field';

export class VerifyEmailDto {
  @AccountTokenField()
  token: string;
}
