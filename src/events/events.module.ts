import { Global, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { SecurityEvents } from './security-events.service';

/** Global so that every feature module can publish without importing this one. */
@Global()
@Module({
  imports: [EventEmitterModule.forRoot()],
  providers: [SecurityEvents],
  exports: [SecurityEvents],
})
export class EventsModule {}
