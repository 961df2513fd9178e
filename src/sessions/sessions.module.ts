import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { SessionsController } from './sessions.controller';
import { RefreshRotationService } from './refresh-rotation.service';
import { SessionsService } from './sessions.service';
import { UsersSessionsController } from './users-sessions.controller';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken])],
  controllers: [SessionsController, UsersSessionsController],
  providers: [SessionsService, RefreshRotationService],
  exports: [SessionsService, RefreshRotationService],
})
export class SessionsModule {}
