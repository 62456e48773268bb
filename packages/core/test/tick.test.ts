import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { batchCommands, corkUntilTickEnd } from '../src/tick.js';

/** A connection whose socket counts corks, and whether it is corked now. */
function fakeConnection() {
  const stream = {
    corks: 0,
    uncorks: 0,
    get corked() {
      return this.corks > this.uncorks;
    },
    cork() {
      this.corks++;
    },
    uncork() {
      this.uncorks++;
    },
  };
  return { redis: { stream } as unknown as Redis, stream };
}

const endOfTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('batching the commands of a tick', () => {
  it('a lone operation per tick is written at once, never corked', async () => {
    const { redis, stream } = fakeConnection();
    for (let i = 0; i < 3; i++) {
      batchCommands(redis);
      expect(stream.corked).toBe(false);
      await endOfTick();
    }
    expect(stream.corks).toBe(0);
  });

  it('a second operation in the tick corks; the socket is uncorked by the end of the tick', async () => {
    const { redis, stream } = fakeConnection();
    batchCommands(redis);
    expect(stream.corked).toBe(false);
    batchCommands(redis);
    batchCommands(redis);
    expect(stream.corked).toBe(true);
    expect(stream.corks).toBe(1);
    await endOfTick();
    expect(stream.corked).toBe(false);
    expect(stream.uncorks).toBe(1);
  });

  it('after a busy tick the first operation corks; after a quiet one it does not', async () => {
    const { redis, stream } = fakeConnection();
    batchCommands(redis);
    batchCommands(redis);
    await endOfTick();
    batchCommands(redis);
    expect(stream.corked).toBe(true);
    await endOfTick();
    expect(stream.corked).toBe(false);
    // That tick had one operation: the next one goes out at once again.
    batchCommands(redis);
    expect(stream.corked).toBe(false);
    await endOfTick();
    expect(stream.corks).toBe(stream.uncorks);
  });

  it('corkUntilTickEnd always corks, once, and shares the uncork', async () => {
    const { redis, stream } = fakeConnection();
    corkUntilTickEnd(redis);
    expect(stream.corked).toBe(true);
    batchCommands(redis);
    corkUntilTickEnd(redis);
    expect(stream.corks).toBe(1);
    await endOfTick();
    expect(stream.corked).toBe(false);
    expect(stream.uncorks).toBe(1);
  });

  it('a connection without a socket yet is left alone', () => {
    expect(() => batchCommands({ stream: undefined } as unknown as Redis)).not.toThrow();
    expect(() => corkUntilTickEnd({ stream: null } as unknown as Redis)).not.toThrow();
  });
});
