import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordsModule } from '../passwords/passwords.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module';
import { UsersModule } from '../users/users.module';
import { AccountMail } from './account-mail';
import { AccountMailController } from './account-mail.controller';
import { AccountNotices } from './account-notices.listener';
import { AccountTokens } from './account-tokens.service';
import { EmailVerificationService } from './email-verification.service';
import { AccountToken } from './entities/account-token.entity';
import { PasswordResetService } from './password-reset.service';
import { RecoveryPagesController } from './pages/recovery-pages.controller';
import { RecoveryController } from './recovery.controller';

/** Password reset, email verification, and the mailed notices of account changes. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AccountToken]),
    UsersModule,
    PersonalAccessTokensModule,
    PasswordsModule,
    ThrottlingModule,
  ],
  controllers: [RecoveryController, RecoveryPagesController, AccountMailController],
  providers: [
    AccountTokens,
    AccountMail,
    PasswordResetService,
    EmailVerificationService,
    AccountNotices,
  ],
  exports: [AccountTokens],
})
export class RecoveryModule {}
