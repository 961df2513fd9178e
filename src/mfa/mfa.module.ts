import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { authConfig } from '../config/auth.config';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { UsersModule } from '../users/users.module';
import { MfaChallenge } from './entities/mfa-challenge.entity';
import { RecoveryCode } from './entities/recovery-code.entity';
import { TotpFactor } from './entities/totp-factor.entity';
import { MfaAdminController } from './mfa-admin.controller';
import { MfaChallenges } from './mfa-challenges.service';
import { MfaCodes } from './mfa-codes.service';
import { MfaController } from './mfa.controller';
import { MfaEnrolment } from './mfa-enrolment.service';
import { TotpClock } from './totp-clock';
import { TotpFactors } from './totp-factors.service';
import { TotpSecretSealing } from './totp-secret-sealing';

/** The second factor: TOTP (RFC 6238), recovery codes, and the mfa_token between the two steps. */
@Module({
  imports: [
    TypeOrmModule.forFeature([TotpFactor, RecoveryCode, MfaChallenge]),
    UsersModule,
    SessionsModule,
    ThrottlingModule,
  ],
  controllers: [MfaController, MfaAdminController],
  providers: [
    {
      provide: TotpSecretSealing,
      inject: [authConfig.KEY],
      useFactory: (config: ConfigType<typeof authConfig>) =>
        new TotpSecretSealing(config.keyEncryptionKeys),
    },
    TotpClock,
    TotpFactors,
    MfaCodes,
    MfaChallenges,
    MfaEnrolment,
  ],
  exports: [MfaChallenges, TotpFactors],
})
export class MfaModule {}
