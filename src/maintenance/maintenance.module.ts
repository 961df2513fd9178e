import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { MfaModule } from '../mfa/mfa.module';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottleStoreModule } from '../throttling/throttle-store.module';
import { TokensModule } from '../tokens/tokens.module';
import { PurgeService } from './purge.service';
import { ScheduledRuns } from './scheduled-runs';

/** Jobs on a schedule, each run by one instance at a time. */
@Module({
  imports: [
    AuditModule,
    ClientsModule,
    MfaModule,
    RecoveryModule,
    SessionsModule,
    ThrottleStoreModule,
    TokensModule,
    PersonalAccessTokensModule,
  ],
  providers: [ScheduledRuns, PurgeService],
  exports: [ScheduledRuns, PurgeService],
})
export class MaintenanceModule {}
