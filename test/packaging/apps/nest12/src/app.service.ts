import { Injectable } from '@nestjs/common';
import type { SentinelClient } from '@sentinelkit/core';
import { InjectSentinel } from '@sentinelkit/nestjs';
import type { Redis } from 'ioredis';

const KEY = 'packaging:nest12:value';

@Injectable()
export class AppService {
  constructor(@InjectSentinel() private readonly sentinel: SentinelClient) {}

  // Callbacks typed with the app's own ioredis: TS2345 if the core brought a second copy.
  save(value: string): Promise<'OK'> {
    // Both replicas acknowledge, so that a read right after (on a replica) sees the value.
    return this.sentinel.write((master: Redis) => master.set(KEY, value), { waitReplicas: 2 });
  }

  load(): Promise<string | null> {
    return this.sentinel.read((replica: Redis) => replica.get(KEY));
  }
}
