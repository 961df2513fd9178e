import { INestApplicationContext, Injectable, OnApplicationShutdown, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { AppModule } from '../app.module';
import { validateEnvironment } from '../config/environment';
import { nestLoggerOver } from '../logging/nest-logger';
import { createRootLogger } from '../logging/root-logger';

/** Warnings and errors only, on stderr: stdout is the command's result. */
const CLI_LOG_LEVEL = 'warn';

/**
 * The service's own modules (AppModule) as an application context, without HTTP: commands call
 * the services the controllers call. Booted on first use, so `--help`, `db` and `calibrate` need
 * no database or signing keys; it migrates the database on boot as the server does.
 */
@Injectable()
export class PortcullisApp implements OnApplicationShutdown {
  private context?: Promise<INestApplicationContext>;

  async get<T>(type: Type<T>): Promise<T> {
    this.context ??= this.boot();
    return (await this.context).get(type, { strict: false });
  }

  async onApplicationShutdown(): Promise<void> {
    const context = await this.context?.catch(() => undefined);
    await context?.close();
  }

  private boot(): Promise<INestApplicationContext> {
    validateEnvironment(process.env);
    const logger = nestLoggerOver(createRootLogger(CLI_LOG_LEVEL, pino.destination(2)));
    return NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
  }
}
