import { ApiProperty } from '@nestjs/swagger';

export class AcceptedResponse {
  @ApiProperty({ example: 'If an account matches and has an email address, a mail is on its way' })
  message: string;
}

export const RESET_ACCEPTED: AcceptedResponse = {
  message: 'If an account matches and has an email address, a mail is on its way',
};
