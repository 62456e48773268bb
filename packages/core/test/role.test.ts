import { describe, expect, it } from 'vitest';
import { parseReplicationInfo, parseRole } from '../src/role.js';

describe('parseRole', () => {
  it('parses a master with its replicas', () => {
    expect(
      parseRole([
        'master',
        3129659,
        [
          ['127.0.0.1', '9001', '3129242'],
          [Buffer.from('127.0.0.1'), '9002', '3129543'],
        ],
      ]),
    ).toEqual({
      role: 'master',
      replOffset: 3129659,
      replicas: [
        { host: '127.0.0.1', port: 9001, replOffset: 3129242 },
        { host: '127.0.0.1', port: 9002, replOffset: 3129543 },
      ],
    });
  });

  it("parses a replica, calling Redis's 'slave' a replica", () => {
    expect(parseRole(['slave', '127.0.0.1', 6379, 'connected', 3167038])).toEqual({
      role: 'replica',
      masterHost: '127.0.0.1',
      masterPort: 6379,
      linkState: 'connected',
      replOffset: 3167038,
    });
    expect(parseRole(['slave', '127.0.0.1', 6379, 'handshake', -1])).toMatchObject({
      linkState: 'handshake',
      replOffset: -1,
    });
  });

  it('parses a sentinel', () => {
    expect(parseRole(['sentinel', ['mymaster', 'other']])).toEqual({
      role: 'sentinel',
      masterNames: ['mymaster', 'other'],
    });
  });

  it('gives undefined for anything else', () => {
    expect(parseRole(null)).toBeUndefined();
    expect(parseRole(['master'])).toBeUndefined();
    expect(parseRole(['slave', 'h'])).toBeUndefined();
    expect(parseRole(['leader', 1])).toBeUndefined();
  });
});

describe('parseReplicationInfo', () => {
  it('reads the master offset and each replica’s offset and lag', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:2',
      'slave0:ip=127.0.0.1,port=16380,state=online,offset=1200,lag=0',
      'slave1:ip=127.0.0.1,port=16381,state=wait_bgsave,offset=0,lag=7',
      'master_repl_offset:1234',
      '',
    ].join('\r\n');
    expect(parseReplicationInfo(info)).toEqual({
      role: 'master',
      replOffset: 1234,
      replicas: [
        { host: '127.0.0.1', port: 16380, state: 'online', replOffset: 1200, lagSeconds: 0 },
        { host: '127.0.0.1', port: 16381, state: 'wait_bgsave', replOffset: 0, lagSeconds: 7 },
      ],
    });
  });

  it('tolerates a replica’s section and junk', () => {
    expect(parseReplicationInfo('role:slave\nslave0:garbage\nnonsense')).toEqual({
      role: 'slave',
      replOffset: undefined,
      replicas: [],
    });
  });
});
