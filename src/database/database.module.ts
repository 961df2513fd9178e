import { Global, Module } from '@nestjs/common';
import { PreparedStatements } from '../platform/prepared-statements';

/** What every feature module may use of the database beside its own repositories. */
@Global()
@Module({
  providers: [PreparedStatements],
  exports: [PreparedStatements],
})
export class DatabaseModule {}
