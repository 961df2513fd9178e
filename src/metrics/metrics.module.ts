import { Module } from '@nestjs/common';
import { PasswordsModule } from '../passwords/passwords.module';
import { MetricsController } from './metrics.controller';
import { Metrics } from './metrics.service';
import { SecurityEventMetrics } from './security-event-metrics.listener';

@Module({
  imports: [PasswordsModule],
  controllers: [MetricsController],
  providers: [Metrics, SecurityEventMetrics],
  exports: [Metrics],
})
export class MetricsModule {}
