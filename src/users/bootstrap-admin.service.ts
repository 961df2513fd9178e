import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config';
import { InvalidConfigurationError } from '../config/environment';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { ADMIN_ROLE, DEFAULT_ROLES } from '../auth/roles';
import { USERNAME_PATTERN } from './username';
import { UsersService } from './users.service';

@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly users: UsersService,
    private readonly policy: PasswordPolicy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (!admin || (await this.users.adminExists())) {
      return;
    }
    if (!USERNAME_PATTERN.test(admin.username)) {
      throw new InvalidConfigurationError(
        'Invalid configuration: BOOTSTRAP_ADMIN_USERNAME must be 3 to 64 letters, digits, dots, underscores or hyphens',
      );
    }
    const problems = this.policy.problems(admin.password, admin.username);
    if (problems.length > 0) {
      throw new InvalidConfigurationError(
        `Invalid configuration: BOOTSTRAP_ADMIN_PASSWORD ${problems.join(', ')}`,
      );
    }
    try {
      await this.users.create(
        {
          username: admin.username,
          password: admin.password,
          roles: [ADMIN_ROLE, ...DEFAULT_ROLES],
        },
        {},
      );
      this.logger.log(`Created the bootstrap administrator "${admin.username}"`);
    } catch (error) {
      // Another instance won the race, or the name belongs to an ordinary user we must not promote.
      if (!(error instanceof ConflictException)) {
        throw error;
      }
      this.logger.warn(
        `Bootstrap administrator "${admin.username}" not created: the username is taken`,
      );
    }
  }
}
