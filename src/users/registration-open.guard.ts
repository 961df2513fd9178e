import { CanActivate, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config';

/** A guard rather than a check in the handler, so a closed registration answers 403 before validation. */
@Injectable()
export class RegistrationOpenGuard implements CanActivate {
  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {}

  canActivate(): boolean {
    if (!this.config.registrationEnabled) {
      throw new ForbiddenException('Self-registration is disabled on this server');
    }
    return true;
  }
}
