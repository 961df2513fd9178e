import { LoggerService } from '@nestjs/common';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';

/** Nest's logger over a pino root logger, for lines logged before (or without) the modules. */
export function nestLoggerOver(root: Logger): LoggerService {
  return new PinoNestLogger(new PinoLogger({ pinoHttp: { logger: root } }), {});
}
