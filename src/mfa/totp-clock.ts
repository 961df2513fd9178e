import { Injectable } from '@nestjs/common';

/** The time TOTP codes are checked against; a provider so that tests can hold it still. */
@Injectable()
export class TotpClock {
  now(): number {
    return Date.now();
  }
}
