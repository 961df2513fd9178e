import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { User } from './entities/user.entity';
import { MeController } from './me.controller';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), PasswordsModule, SessionsModule, ThrottlingModule],
  controllers: [MeController, UsersController],
  providers: [UsersService, BootstrapAdminService],
  exports: [UsersService],
})
export class UsersModule {}
