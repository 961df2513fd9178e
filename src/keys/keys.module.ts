import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningKey } from './entities/signing-key.entity';
import { JwksController } from './jwks.controller';
import { KeyRotationService } from './key-rotation.service';
import { KeysController } from './keys.controller';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [JwksController, KeysController],
  providers: [SigningKeysService, KeyRotationService],
  exports: [SigningKeysService],
})
export class KeysModule {}
