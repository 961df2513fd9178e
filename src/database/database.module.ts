import { Global, Module } from '@nestjs/common';
import { PreparedStatements } from '../platform/prepared-statements';

@Global()
@Module({
  providers: [PreparedStatements],
  exports: [PreparedStatements],
})
export class DatabaseModule {}
