import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import type { SentinelClient } from '@sentinelkit/core';
import { InjectSentinel } from '@sentinelkit/nestjs';

const KEY = 'example:counter';

/** The Sentinel client itself, injected with `@InjectSentinel()`: a counter on the master. */
@Controller('counter')
export class CounterController {
  constructor(@InjectSentinel() private readonly sentinel: SentinelClient) {}

  /** `INCR` on the master (whichever node that is now); answers the new value. */
  @Post()
  @HttpCode(200)
  async increment(): Promise<{ value: number }> {
    return { value: await this.sentinel.write((master) => master.incr(KEY)) };
  }

  /**
   * The current value. Reads go to a replica by default; this one asks the master, because a
   * caller who just incremented expects to see it and a replica may be a few milliseconds behind.
   */
  @Get()
  async read(): Promise<{ value: number }> {
    const value = await this.sentinel.read((node) => node.get(KEY), { readFrom: 'master' });
    return { value: Number(value ?? 0) };
  }
}
