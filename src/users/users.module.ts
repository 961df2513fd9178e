import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordsModule } from '../passwords/passwords.module';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { AccountRevocation } from './account-revocation.service';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { CredentialsService } from './credentials.service';
import { EmailChanges } from './email-changes';
import { User } from './entities/user.entity';
import { MeController } from './me.controller';
import { RegistrationController } from './registration.controller';
import { UserSearch } from './user-search.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    PasswordsModule,
    SessionsModule,
    ThrottlingModule,
    PersonalAccessTokensModule,
  ],
  controllers: [RegistrationController, MeController, UsersController],
  providers: [
    UsersService,
    UserSearch,
    CredentialsService,
    BootstrapAdminService,
    EmailChanges,
    AccountRevocation,
  ],
  exports: [UsersService, CredentialsService, AccountRevocation],
})
export class UsersModule {}
