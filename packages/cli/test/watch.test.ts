// Which Sentinel events `sentinelkit watch` shows: those the client itself takes as about its
// master name (core's parser of Sentinel's messages), not a word match of its own.
import { describe, expect, it } from 'vitest';
import { isAboutMaster } from '../src/watch.js';

const NAME = 'mymaster';

describe('watch: the events about our master name', () => {
  it.each<[string, string, boolean]>([
    ['+switch-master', 'mymaster 10.0.0.1 6379 10.0.0.2 6379', true],
    ['+sdown', 'master mymaster 10.0.0.1 6379', true],
    ['+try-failover', 'master mymaster 10.0.0.1 6379', true],
    ['+sdown', 'slave 10.0.0.3:6379 10.0.0.3 6379 @ mymaster 10.0.0.1 6379', true],
    ['+sentinel', 'sentinel abc 10.0.0.9 26379 @ mymaster 10.0.0.1 6379', true],
    ['+switch-master', 'other 10.0.0.1 6379 10.0.0.2 6379', false],
    ['+sdown', 'master other 10.0.0.7 6379', false],
    // A replica of another master whose host name is our master's name: not ours.
    ['+sdown', 'slave mymaster:6379 mymaster 6379 @ other 10.0.0.7 6379', false],
    ['+tilt', '#tilt mode entered', false],
    ['+new-epoch', '7', false],
  ])('%s %s: %s', (type, message, about) => {
    expect(isAboutMaster(type, message, NAME)).toBe(about);
  });
});
