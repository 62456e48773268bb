import { describe, expect, it } from 'vitest';
import { pipelineRefusal, refusalOf, writeInReadRefusal } from '../src/command-policy.js';

const q = (name: string, ...args: string[]) => ({ name, args });

describe('refusalOf', () => {
  it.each([
    ['MULTI'],
    ['exec'],
    ['Discard'],
    ['WATCH', 'k'],
    ['UNWATCH'],
    ['SELECT', '5'],
    ['SUBSCRIBE', 'c'],
    ['PSUBSCRIBE', 'c*'],
    ['SSUBSCRIBE', 'c'],
    ['UNSUBSCRIBE'],
    ['PUNSUBSCRIBE'],
    ['SUNSUBSCRIBE'],
    ['MONITOR'],
    ['SYNC'],
    ['PSYNC', '?', '-1'],
    ['REPLCONF', 'listening-port', '1'],
    ['RESET'],
    ['AUTH', 'pw'],
    ['HELLO', '3'],
    ['QUIT'],
    ['READONLY'],
    ['READWRITE'],
    ['WAIT', '1', '0'],
    ['WAITAOF', '1', '0', '0'],
    ['BLPOP', 'k', '0'],
    ['BRPOP', 'k', '0'],
    ['BRPOPLPUSH', 'a', 'b', '0'],
    ['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0'],
    ['BLMPOP', '0', '1', 'k', 'LEFT'],
    ['BZPOPMIN', 'k', '0'],
    ['BZPOPMAX', 'k', '0'],
    ['BZMPOP', '0', '1', 'k', 'MIN'],
    ['XREAD', 'BLOCK', '0', 'STREAMS', 'k', '$'],
    ['xread', 'count', '1', 'block', '10', 'streams', 'k', '$'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'k', '>'],
  ])('refuses %s', (name, ...args) => {
    expect(refusalOf(name, args)).toMatchObject({
      code: 'COMMAND_NOT_ALLOWED',
      command: name.toUpperCase(),
    });
  });

  it.each([
    ['REPLY', 'OFF'],
    ['reply', 'skip'],
    ['TRACKING', 'on'],
    ['CACHING', 'yes'],
    ['SETNAME', 'x'],
    ['SETINFO', 'LIB-NAME', 'x'],
    ['NO-EVICT', 'on'],
    ['NO-TOUCH', 'on'],
  ])('refuses CLIENT %s', (sub, ...rest) => {
    expect(refusalOf('client', [Buffer.from(sub), ...rest])).toMatchObject({
      code: 'COMMAND_NOT_ALLOWED',
      command: `CLIENT ${sub.toUpperCase()}`,
    });
  });

  it.each([
    ['GET', 'k'],
    ['SET', 'k', 'v'],
    ['PUBLISH', 'c', 'm'],
    ['SWAPDB', '0', '1'],
    ['CLIENT', 'ID'],
    ['CLIENT', 'LIST'],
    ['CLIENT', 'INFO'],
    ['EVAL', 'return 1', '0'],
    ['XREAD', 'COUNT', '1', 'STREAMS', 'k', '0'],
    // A stream key named "block" is not the BLOCK option.
    ['XREAD', 'STREAMS', 'block', '0'],
    ['LPOP', 'k'],
    ['PING'],
    ['MYMODULE.COMMAND', 'x'],
  ])('sends %s', (name, ...args) => {
    expect(refusalOf(name, args)).toBeUndefined();
  });

  it('says what to use instead', () => {
    expect(refusalOf('MULTI')?.advice).toMatch(/multi\(\).*write\(fn\)/);
    expect(refusalOf('SELECT', ['1'])?.advice).toMatch(/"db" option/);
    expect(refusalOf('SUBSCRIBE', ['c'])?.advice).toMatch(/connection of its own/);
    expect(refusalOf('BLPOP', ['k', '0'])?.advice).toMatch(/connection of its own/);
    expect(refusalOf('WAIT', ['1', '0'])?.advice).toMatch(/waitReplicas/);
    expect(refusalOf('QUIT')?.advice).toMatch(/client\.close\(\)/);
  });
});

describe('writeInReadRefusal', () => {
  it.each(['SET', 'del', 'GETEX', 'INCR', 'EXPIRE', 'SWAPDB'])('refuses %s', (name) => {
    expect(writeInReadRefusal(name)).toMatchObject({ code: 'WRITE_IN_READ' });
  });
  it.each(['GET', 'MGET', 'PTTL', 'SCAN', 'EVAL', 'EVAL_RO', 'PING', 'MYMODULE.COMMAND'])(
    'sends %s',
    (name) => {
      expect(writeInReadRefusal(name)).toBeUndefined();
    },
  );
});

describe('pipelineRefusal', () => {
  it('sends a transaction ioredis will close (multi()…exec())', () => {
    expect(pipelineRefusal([q('multi'), q('set', 'k', 'v')], 1, false)).toBeUndefined();
  });

  it('sends whole transactions inside a pipeline', () => {
    const commands = [q('get', 'k'), q('multi'), q('incr', 'k'), q('exec'), q('get', 'k')];
    expect(pipelineRefusal(commands, 0, false)).toBeUndefined();
    expect(pipelineRefusal([q('multi'), q('incr', 'k'), q('discard')], 0, false)).toBeUndefined();
  });

  it('refuses a transaction left open, nested, or closed without MULTI', () => {
    expect(pipelineRefusal([q('multi'), q('set', 'k', 'v')], 0, false)?.command).toBe('MULTI');
    expect(pipelineRefusal([q('multi'), q('multi')], 1, false)?.command).toBe('MULTI');
    expect(pipelineRefusal([q('set', 'k', 'v'), q('exec')], 0, false)?.command).toBe('EXEC');
    expect(pipelineRefusal([q('multi'), q('get', 'k'), q('discard')], 1, false)).toMatchObject({
      code: 'COMMAND_NOT_ALLOWED',
    });
  });

  it('refuses a pipeline with any refused command, in or out of a transaction', () => {
    expect(pipelineRefusal([q('set', 'k', 'v'), q('select', '5')], 0, false)?.command).toBe(
      'SELECT',
    );
    expect(pipelineRefusal([q('multi'), q('subscribe', 'c')], 1, false)?.command).toBe('SUBSCRIBE');
  });

  it('refuses writes only when read', () => {
    const commands = [q('get', 'k'), q('set', 'k', 'v')];
    expect(pipelineRefusal(commands, 0, true)).toMatchObject({
      code: 'WRITE_IN_READ',
      command: 'SET',
    });
    expect(pipelineRefusal(commands, 0, false)).toBeUndefined();
  });
});
