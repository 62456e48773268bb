import { describe, expect, it } from 'vitest';
import { parseSentinelList } from '../src/sentinel-list.js';

const entry = (fields: Record<string, string>) =>
  Object.entries({
    name: 'x',
    runid: `r-${fields.ip}-${fields.port}`,
    flags: 'sentinel',
    ...fields,
  }).flat();

describe('parseSentinelList', () => {
  it('keeps valid sentinels only: a host, a port 1-65535, not flagged down', () => {
    const reply = [
      entry({ ip: '10.0.0.1', port: '26379' }),
      entry({ ip: '10.0.0.2', port: '99999' }),
      entry({ ip: '10.0.0.3', port: '-1' }),
      entry({ ip: '10.0.0.4', port: '0' }),
      entry({ ip: '', port: '26379' }),
      entry({ ip: '10.0.0.5', port: '26379', flags: 's_down,sentinel' }),
      entry({ ip: '10.0.0.6', port: '26379', flags: 'o_down,sentinel' }),
      entry({ ip: '10.0.0.7', port: '26379', flags: 'sentinel,disconnected' }),
      entry({ ip: '10.0.0.8', port: '26379.5' }),
      'garbage',
    ];
    expect(parseSentinelList(reply)).toEqual([{ host: '10.0.0.1', port: 26379 }]);
  });

  it('lists each runid once', () => {
    const reply = [
      entry({ ip: '10.0.0.1', port: '26379', runid: 'same' }),
      entry({ ip: 'sentinel-a', port: '26379', runid: 'same' }),
    ];
    expect(parseSentinelList(reply)).toHaveLength(1);
  });

  it('is empty for anything but an array', () => {
    expect(parseSentinelList(null)).toEqual([]);
    expect(parseSentinelList('x')).toEqual([]);
  });
});
