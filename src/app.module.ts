import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSourceOptions } from 'typeorm';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ClientsModule } from './clients/clients.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { createValidationPipe } from './common/validation.pipe';
import { configNamespaces, databaseConfig } from './config';
import { DatabaseModule } from './database/database.module';
import {
  dataSourceOptions,
  openDataSource,
  prepareSqliteFile,
} from './database/data-source-options';
import { isPermanentDatabaseError } from './startup/startup-failure';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { KeysModule } from './keys/keys.module';
import { LoggingModule } from './logging/logging.module';
import { MailModule } from './mail/mail.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { MetricsModule } from './metrics/metrics.module';
import { MfaModule } from './mfa/mfa.module';
import { OAuthModule } from './oauth/oauth.module';
import { PasswordsModule } from './passwords/passwords.module';
import { PersonalAccessTokensModule } from './personal-access-tokens/personal-access-tokens.module';
import { RecoveryModule } from './recovery/recovery.module';
import { SessionsModule } from './sessions/sessions.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    // The environment is the only source (twelve-factor): no .env file is read.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configNamespaces }),
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (database: ConfigType<typeof databaseConfig>) => {
        prepareSqliteFile(database);
        return {
          ...dataSourceOptions(database),
          // A database that is down may come up; one that does not exist or refuses us will not.
          toRetry: (error: unknown) => !isPermanentDatabaseError(error),
          verboseRetryLog: true,
        };
      },
      dataSourceFactory: (options?: DataSourceOptions) => {
        if (!options) {
          throw new Error('TypeORM gave no data source options');
        }
        return openDataSource(options);
      },
    }),
    ScheduleModule.forRoot(),
    DatabaseModule,
    LoggingModule,
    EventsModule,
    AuditModule,
    MetricsModule,
    MailModule,
    HealthModule,
    PasswordsModule,
    ThrottlingModule,
    UsersModule,
    SessionsModule,
    PersonalAccessTokensModule,
    ClientsModule,
    KeysModule,
    TokensModule,
    AuthModule,
    MfaModule,
    OAuthModule,
    RecoveryModule,
    MaintenanceModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class AppModule {}
