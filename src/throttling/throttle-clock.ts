import { Injectable } from '@nestjs/common';

/** The time every throttling decision uses; a provider so that tests can move it forward. */
@Injectable()
export class ThrottleClock {
  now(): number {
    return Date.now();
  }
}
