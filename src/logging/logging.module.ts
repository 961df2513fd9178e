import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { operationsConfig } from '../config/operations.config';
import { createRootLogger } from './root-logger';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [
        {
          provide: ROOT_LOGGER,
          inject: [operationsConfig.KEY],
          useFactory: (operations: ConfigType<typeof operationsConfig>) =>
            createRootLogger(operations.logLevel),
        },
      ],
      inject: [ROOT_LOGGER],
      useFactory: (logger: Logger) => ({
        // nestjs-pino only adapts Nest's logger to this instance. No routes, so it installs no
        // pino-http middleware and no AsyncLocalStorage per request; see access-log.ts.
        pinoHttp: { logger },
        useExisting: true,
        forRoutes: [],
      }),
    }),
  ],
})
export class LoggingModule {}
