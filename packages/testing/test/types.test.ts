// isTopologyError: a guard like the core's isSentinelKitError, narrowing to the code it is given.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  isTopologyError,
  type ReleaseReplication,
  type SentinelTopology,
  type TOPOLOGY_ERROR_CODES,
  TopologyError,
  type TopologyErrorCode,
  type TopologyNode,
} from '../src/index.js';

describe('isTopologyError', () => {
  it('narrows to the code it is given', () => {
    const e: unknown = new TopologyError('REDIS_SERVER_NOT_FOUND', 'no redis-server');
    if (isTopologyError(e, 'REDIS_SERVER_NOT_FOUND')) {
      expectTypeOf(e.code).toEqualTypeOf<'REDIS_SERVER_NOT_FOUND'>();
      expectTypeOf(e).toMatchTypeOf<TopologyError>();
    } else {
      expect.unreachable('a TopologyError is one');
    }
    expect(isTopologyError(e, 'TIMEOUT')).toBe(false);
    const any: unknown = e;
    if (isTopologyError(any)) expectTypeOf(any.code).toEqualTypeOf<TopologyErrorCode>();
  });

  it('lists every code', () => {
    expectTypeOf<(typeof TOPOLOGY_ERROR_CODES)[number]>().toEqualTypeOf<TopologyErrorCode>();
  });

  it('refuses a plain Error with a topology code; accepts another copy of the class', () => {
    expect(isTopologyError(Object.assign(new Error('x'), { code: 'TIMEOUT' }))).toBe(false);
    expect(isTopologyError({ code: 'TIMEOUT' })).toBe(false);
    class OtherCopy extends Error {
      readonly code = 'STOPPED';
    }
    Object.defineProperty(OtherCopy.prototype, Symbol.for('@sentinelkit/testing.TopologyError'), {
      value: true,
    });
    expect(isTopologyError(new OtherCopy('stopped'), 'STOPPED')).toBe(true);
  });
});

describe('holdReplication', () => {
  it('resolves with a release function, exported as ReleaseReplication', () => {
    expectTypeOf<SentinelTopology['holdReplication']>().parameter(0).toEqualTypeOf<TopologyNode>();
    expectTypeOf<
      ReturnType<SentinelTopology['holdReplication']>
    >().resolves.toEqualTypeOf<ReleaseReplication>();
    expectTypeOf<ReleaseReplication>().toEqualTypeOf<() => Promise<void>>();
  });
});
