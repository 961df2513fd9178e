import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningKey } from './entities/signing-key.entity';
import { JwksController } from './jwks.controller';
import { KeysController } from './keys.controller';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [JwksController, KeysController],
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class KeysModule {}
