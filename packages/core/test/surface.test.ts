import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import * as internal from '../src/internal.js';

// The public entry follows semver: what it exports is decided (docs/core.md, "Public API and
// @sentinelkit/core/internal"), not whatever a module happens to export. A new export is added
// here on purpose; the building blocks other sentinelkit packages share go to /internal.
const PUBLIC_VALUES = [
  'ClusterClient',
  'ConnectionSetupError',
  'DEFAULT_CLUSTER_PORT',
  'DEFAULT_SENTINEL_PORT',
  'MAX_LOCATION_LENGTH',
  'MasterNameUnknownError',
  'NoSentinelReachableError',
  'SAFE_REDIS_OPTION_KEYS',
  'SENTINELKIT_CHANNELS',
  'SENTINELKIT_ERROR_CODES',
  'SentinelClient',
  'SentinelConfigError',
  'SentinelKitError',
  'createClient',
  'createClusterClient',
  'createSentinelClient',
  'formatAddress',
  'formatLocation',
  'isClusterLocation',
  'isClusterSource',
  'isClusterClient',
  'isRoutedClient',
  'isSentinelKitError',
  'parseClusterLocation',
  'parseLocation',
  'redactLocation',
  'resolveClusterOptions',
  'resolveOptions',
  'tlsForNode',
];

describe('the public surface', () => {
  it('exports what an application needs, and nothing else', () => {
    expect(Object.keys(core).sort()).toEqual([...PUBLIC_VALUES].sort());
  });

  it('keeps the building blocks of the other packages in /internal, not in both', () => {
    const both = Object.keys(internal).filter((name) => name in core);
    expect(both).toEqual([]);
    for (const name of ['parseRole', 'parseReplicaList', 'OPTION_NAMES', 'redactSecrets']) {
      expect(internal).toHaveProperty(name);
    }
  });
});
