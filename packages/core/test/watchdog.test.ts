import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchCommandTimeouts } from '../src/watchdog.js';

/** A command as the queue holds it: settles once, like ioredis' Command. */
function command(name: string) {
  const c = {
    name,
    isSettled: false,
    error: undefined as Error | undefined,
    reject(error: Error) {
      if (c.isSettled) return;
      c.isSettled = true;
      c.error = error;
    },
  };
  return c;
}
type FakeCommand = ReturnType<typeof command>;

/** A connection whose queue of unanswered commands the test drives. */
function connection() {
  const items: { command: FakeCommand }[] = [];
  const commandQueue = {
    peekFront: () => items[0],
    get: (i: number) => items[i],
    get length() {
      return items.length;
    },
  };
  const emitter = new EventEmitter();
  return {
    redis: Object.assign(emitter, { commandQueue }) as unknown as Redis,
    end: () => emitter.emit('end'),
    send: (name: string) => {
      const c = command(name);
      items.push({ command: c });
      return c;
    },
    reply: () => items.shift(),
  };
}

describe('command timeouts without a timer per command', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails a command unanswered for the timeout with ioredis’ error, not earlier, at most a tenth later', () => {
    const { redis, send } = connection();
    const stop = watchCommandTimeouts(redis, 1000);
    const stuck = send('GET');
    vi.advanceTimersByTime(1000);
    expect(stuck.isSettled).toBe(false);
    vi.advanceTimersByTime(100);
    expect(stuck.error?.message).toBe('Command timed out');
    stop();
  });

  it('commands queued behind a stuck one fail each after their own timeout', () => {
    const { redis, send } = connection();
    const stop = watchCommandTimeouts(redis, 1000);
    const first = send('GET');
    vi.advanceTimersByTime(500);
    const second = send('GET');
    vi.advanceTimersByTime(600);
    expect(first.isSettled).toBe(true);
    expect(second.isSettled).toBe(false);
    vi.advanceTimersByTime(500);
    expect(second.error?.message).toBe('Command timed out');
    stop();
  });

  it('a queue that keeps being answered in time never times out, however long it stays busy', () => {
    const { redis, send, reply } = connection();
    const stop = watchCommandTimeouts(redis, 1000);
    const sent: FakeCommand[] = [send('GET'), send('SET')];
    for (let t = 0; t < 50; t++) {
      // Always two waiting, each answered about 200 ms after it was sent.
      sent.push(send('GET'));
      vi.advanceTimersByTime(100);
      reply();
    }
    expect(sent.filter((c) => c.isSettled)).toEqual([]);
    stop();
  });

  it('a node that answers, but too slowly, still times out the commands waiting behind', () => {
    const { redis, send, reply } = connection();
    const stop = watchCommandTimeouts(redis, 1000);
    const sent = [send('GET'), send('GET'), send('GET')];
    // One reply every 600 ms: the oldest unanswered command changes, the later ones keep waiting.
    vi.advanceTimersByTime(600);
    reply();
    vi.advanceTimersByTime(500);
    expect(sent[0]?.isSettled).toBe(false); // answered at 600 ms, before its timeout
    expect(sent.slice(1).map((c) => c.error?.message)).toEqual([
      'Command timed out',
      'Command timed out',
    ]);
    stop();
  });

  it('a late reply after the timeout finds the command still queued (replies stay matched)', () => {
    const { redis, send, reply } = connection();
    const stop = watchCommandTimeouts(redis, 1000);
    const late = send('GET');
    vi.advanceTimersByTime(1200);
    expect(late.isSettled).toBe(true);
    expect(reply()?.command).toBe(late);
    const next = send('GET');
    vi.advanceTimersByTime(900);
    expect(next.isSettled).toBe(false);
    stop();
  });

  it('stopping, or the connection ending, leaves no timer behind', () => {
    const first = connection();
    const stop = watchCommandTimeouts(first.redis, 1000);
    expect(vi.getTimerCount()).toBe(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    const second = connection();
    watchCommandTimeouts(second.redis, 1000);
    expect(vi.getTimerCount()).toBe(1);
    second.end();
    expect(vi.getTimerCount()).toBe(0);
  });
});
