import { LoggerService } from '@nestjs/common';

// Module and route mapping lines: useful when debugging, noise in an operator's log.
const FRAMEWORK_CHATTER = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);
// Nest logs a failed start with a stack before re-throwing it; main.ts reports it as one line.
const START_FAILURE_REPORTERS = new Set(['ExceptionHandler', 'NestApplication']);
const DATABASE_RETRIES = 'TypeOrmModule';

type Params = unknown[];

const contextOf = (params: Params): unknown => params[params.length - 1];

/** Nest's logger for operators: framework chatter at debug, a retry as one warning line. */
export class OperatorLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...params: Params): void {
    if (FRAMEWORK_CHATTER.has(contextOf(params) as string)) {
      this.debug(message, ...params);
      return;
    }
    this.inner.log(message, ...params);
  }

  error(message: unknown, ...params: Params): void {
    const context = contextOf(params) as string;
    if (START_FAILURE_REPORTERS.has(context)) {
      this.debug(message, ...params);
    } else if (context === DATABASE_RETRIES) {
      // TypeORM's retry message carries the cause (verboseRetryLog) and a stack we drop.
      this.inner.warn(message, context);
    } else {
      this.inner.error(message, ...params);
    }
  }

  warn(message: unknown, ...params: Params): void {
    this.inner.warn(message, ...params);
  }

  debug(message: unknown, ...params: Params): void {
    this.inner.debug?.(message, ...params);
  }

  verbose(message: unknown, ...params: Params): void {
    this.inner.verbose?.(message, ...params);
  }

  fatal(message: unknown, ...params: Params): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...params);
  }
}
