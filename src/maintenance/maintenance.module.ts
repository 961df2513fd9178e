import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottleStoreModule } from '../throttling/throttle-store.module';
import { TokensModule } from '../tokens/tokens.module';
import { PurgeService } from './purge.service';
import { ScheduledRuns } from './scheduled-runs';

/** Jobs on a schedule, each run by one instance at a time. */
@Module({
  imports: [AuditModule, RecoveryModule, SessionsModule, ThrottleStoreModule, TokensModule],
  providers: [ScheduledRuns, PurgeService],
  exports: [ScheduledRuns, PurgeService],
})
export class MaintenanceModule {}
