import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PersonalAccessToken } from './entities/personal-access-token.entity';
import { PersonalAccessTokenUsage } from './personal-access-token-usage';
import { PersonalAccessTokenViews } from './personal-access-token-views';
import { PersonalAccessTokensController } from './personal-access-tokens.controller';
import { PersonalAccessTokensService } from './personal-access-tokens.service';
import { UsersPersonalAccessTokensController } from './users-personal-access-tokens.controller';

/** Bearer authentication with these tokens is AuthModule's (PrincipalsService). */
@Module({
  imports: [TypeOrmModule.forFeature([PersonalAccessToken])],
  controllers: [PersonalAccessTokensController, UsersPersonalAccessTokensController],
  providers: [PersonalAccessTokensService, PersonalAccessTokenUsage, PersonalAccessTokenViews],
  exports: [PersonalAccessTokensService, PersonalAccessTokenUsage],
})
export class PersonalAccessTokensModule {}
