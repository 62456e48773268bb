import { Module } from '@nestjs/common';
import { SentinelModule } from '@sentinelkit/nestjs';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';

function sentinelLocation(): string {
  const location = process.env.SENTINEL_LOCATION;
  if (!location) throw new Error('Set SENTINEL_LOCATION (`npx sentinelkit-topology` prints one)');
  return location;
}

@Module({
  imports: [SentinelModule.forRoot({ location: sentinelLocation() })],
  controllers: [AppController],
  providers: [AppService],
})
export class AppModule {}
