// No network: construction, option validation, and what happens before any I/O. The `client`
// below points at a port nothing listens on and is never connected.

import { createServer, type Socket } from 'node:net';
import { createSentinelClient, isSentinelKitError, SentinelConfigError } from '@sentinelkit/core';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { describe, expect, it } from 'vitest';
import { expiry } from '../src/backend.js';
import {
  createKeyv,
  createLegacyStore,
  SentinelKeyvStore,
  SentinelLegacyStore,
} from '../src/index.js';

const LOCATION = 'mymaster/127.0.0.1:1';

/** The `SentinelConfigError` `fn` throws. */
function configError(fn: () => unknown): SentinelConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SentinelConfigError);
    return error as SentinelConfigError;
  }
  throw new Error('expected a SentinelConfigError');
}

describe('construction', () => {
  it('createKeyv does no I/O and returns a Keyv with one namespace on the store', () => {
    const keyv = createKeyv(LOCATION, { namespace: 'app', ttl: 5000 });
    expect(keyv).toBeInstanceOf(Keyv);
    const store = keyv.store as SentinelKeyvStore;
    expect(store).toBeInstanceOf(SentinelKeyvStore);
    expect(store.client.status).toBe('idle');
    expect(store.ownsClient).toBe(true);
    expect(store.namespace).toBe('app');
    expect(keyv.namespace).toBe('app');
    expect(keyv.ttl).toBe(5000);
    expect(keyv.throwOnErrors).toBe(false);
    // dialect 'redis': Keyv offers its iterator, and does not crash reading opts.url.
    expect(store.opts.dialect).toBe('redis');
    expect(typeof keyv.iterator).toBe('function');
  });

  it("Keyv's default namespace is kept; '' means none", () => {
    expect((createKeyv(LOCATION).store as SentinelKeyvStore).namespace).toBe('keyv');
    expect((createKeyv(LOCATION, { namespace: '' }).store as SentinelKeyvStore).namespace).toBe(
      undefined,
    );
  });

  it('a raw store works under new Keyv() and cache-manager as they wrap it', () => {
    const store = new SentinelKeyvStore(LOCATION);
    const keyv = new Keyv({ store, namespace: 'nest' });
    expect(store.namespace).toBe('nest');
    expect(typeof keyv.iterator).toBe('function');
    expect(createCache({ stores: [keyv] }).stores[0]).toBe(keyv);
  });

  it('throwOnErrors reaches Keyv too, so failed reads reject', () => {
    const keyv = createKeyv(LOCATION, { throwOnErrors: true });
    expect(keyv.throwOnErrors).toBe(true);
    expect((keyv.store as SentinelKeyvStore).throwOnErrors).toBe(true);
  });

  it('a given client is shared: the store does not own it', () => {
    const client = createSentinelClient(LOCATION);
    const store = new SentinelKeyvStore(client);
    expect(store.client).toBe(client);
    expect(store.ownsClient).toBe(false);
    expect(createLegacyStore(client).ownsClient).toBe(false);
  });
});

describe('options', () => {
  it.each([
    [{ throwOnErrors: 'yes' }, 'throwOnErrors'],
    [{ clearWithoutNamespace: 1 }, 'clearWithoutNamespace'],
    [{ scanCount: 0 }, 'scanCount'],
    [{ scanCount: 1.5 }, 'scanCount'],
    [{ readFrom: 'slave' }, 'readFrom'],
    [{ waitReplicas: -1 }, 'waitReplicas'],
    [{ clientOptions: 'password' }, 'clientOptions'],
  ])('%j is refused, naming the option', (options, option) => {
    const error = configError(() => new SentinelKeyvStore(LOCATION, options as never));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}"`);
  });

  it.each([
    [{ namespace: 1 }, 'namespace'],
    [{ ttl: -1 }, 'ttl'],
    [{ ttl: Number.NaN }, 'ttl'],
  ])('createKeyv refuses %j', (options, option) => {
    expect(configError(() => createKeyv(LOCATION, options as never)).option).toBe(option);
  });

  it.each([
    [{ namespace: 5 }, 'namespace'],
    [{ ttl: '60s' }, 'ttl'],
    [{ isCacheable: true }, 'isCacheable'],
  ])('createLegacyStore refuses %j', (options, option) => {
    expect(configError(() => createLegacyStore(LOCATION, options as never)).option).toBe(option);
  });

  it('an unknown option is refused with a hint saying where it belongs', () => {
    const core = configError(() => new SentinelKeyvStore(LOCATION, { password: 'x' } as never));
    expect(core.option).toBe('password');
    expect(core.message).toContain('clientOptions');
    expect(core.message).not.toContain('"x"');
    const keyv = configError(() => createKeyv(LOCATION, { serialize: JSON.stringify } as never));
    expect(keyv.message).toContain('new Keyv({ store, serialize })');
    const typo = configError(() => createKeyv(LOCATION, { throwonerrors: true } as never));
    expect(typo.message).toContain('Did you mean "throwOnErrors"?');
    expect(
      configError(() => new SentinelKeyvStore(LOCATION, { namespace: 'x' } as never)).option,
    ).toBe('namespace');
  });

  // Every package describes a bad value and a misspelt option in the same words (core's
  // validate.ts, through @sentinelkit/core/internal): a long string cut to 60 characters, the
  // option one typo away suggested. The same literals are pinned in the core and each adapter.
  it('a long string is cut and a one-typo option suggested, in the words of the core', () => {
    const cut = configError(() => createKeyv(LOCATION, { scanCount: 'x'.repeat(100) } as never));
    expect(cut.message).toContain(`got "${'x'.repeat(57)}..."`);
    expect(cut.message).not.toContain('x'.repeat(58));
    const typo = configError(() => createKeyv(LOCATION, { readFromm: 'master' } as never));
    expect(typo.message).toContain('Did you mean "readFrom"?');
  });

  it('clientOptions are for a client the store creates, not for a given one', () => {
    const client = createSentinelClient(LOCATION);
    const error = configError(
      () => new SentinelKeyvStore(client, { clientOptions: { password: 'x' } }),
    );
    expect(error.option).toBe('clientOptions');
    const store = new SentinelKeyvStore(LOCATION, { clientOptions: { commandTimeout: 100 } });
    expect(store.ownsClient).toBe(true);
  });

  it('a bad location or core option fails at construction, from the core', () => {
    expect(configError(() => createKeyv('redis://localhost:6379')).option).toMatch(/^location/);
    expect(
      configError(() => createKeyv(LOCATION, { clientOptions: { commandTimeout: -5 } })).option,
    ).toBe('commandTimeout');
  });
});

describe('errors before any I/O', () => {
  it('clear() with no namespace refuses: an error event, nothing thrown, by default', async () => {
    const store = new SentinelKeyvStore(LOCATION);
    const errors: Error[] = [];
    store.on('error', (error) => errors.push(error));
    await expect(store.clear()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'INVALID_OPTION', option: 'clearWithoutNamespace' });
    expect(errors[0]!.message).toMatch(/namespace/);
    expect(store.client.status).toBe('idle');
  });

  it('with throwOnErrors the refusal rejects, through Keyv and cache-manager', async () => {
    const keyv = createKeyv(LOCATION, { namespace: '', throwOnErrors: true });
    await expect(keyv.clear()).rejects.toMatchObject({ option: 'clearWithoutNamespace' });
    await expect(createCache({ stores: [keyv] }).clear()).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    const legacy = createLegacyStore(LOCATION, { namespace: '', throwOnErrors: true });
    await expect(legacy.reset()).rejects.toMatchObject({ option: 'clearWithoutNamespace' });
  });

  it('a closed client: operations answer like an empty cache and emit CLIENT_CLOSED', async () => {
    const client = createSentinelClient(LOCATION);
    await client.close();
    const keyv = createKeyv(client, { namespace: 'x' });
    const errors: unknown[] = [];
    keyv.on('error', (error: unknown) => errors.push(error));
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.get(['a', 'b'])).toEqual([undefined, undefined]);
    expect(await keyv.has('k')).toBe(false);
    expect(await keyv.set('k', 'v')).toBe(false);
    expect(await keyv.delete('k')).toBe(false);
    await keyv.clear();
    expect(errors).toHaveLength(6);
    for (const error of errors) expect(isSentinelKitError(error, 'CLIENT_CLOSED')).toBe(true);
  });

  it('a closed client with throwOnErrors: every operation rejects with CLIENT_CLOSED', async () => {
    const client = createSentinelClient(LOCATION);
    await client.close();
    const keyv = createKeyv(client, { namespace: 'x', throwOnErrors: true });
    const closed = { code: 'CLIENT_CLOSED' };
    await expect(keyv.get('k')).rejects.toMatchObject(closed);
    await expect(keyv.get(['a'])).rejects.toMatchObject(closed);
    await expect(keyv.set('k', 'v')).rejects.toMatchObject(closed);
    await expect(keyv.setMany([{ key: 'k', value: 'v' }])).rejects.toMatchObject(closed);
    await expect(keyv.delete(['k'])).rejects.toMatchObject(closed);
    await expect(keyv.clear()).rejects.toMatchObject(closed);
    const legacy = createLegacyStore(client, { throwOnErrors: true });
    await expect(legacy.get('k')).rejects.toMatchObject(closed);
    await expect(legacy.keys()).rejects.toMatchObject(closed);
  });

  it('with nobody listening, a failure emits nothing and does not crash', async () => {
    const client = createSentinelClient(LOCATION);
    await client.close();
    const store = new SentinelKeyvStore(client);
    expect(await store.get('k')).toBeUndefined();
    const legacy = new SentinelLegacyStore(client);
    expect(await legacy.get('k')).toBeUndefined();
    expect(await legacy.ttl('k')).toBe(-2);
    expect(await legacy.keys()).toEqual([]);
  });

  it('empty batches cost nothing and need no connection', async () => {
    const store = new SentinelKeyvStore(LOCATION, { throwOnErrors: true });
    expect(await store.getMany([])).toEqual([]);
    expect(await store.hasMany([])).toEqual([]);
    expect(await store.deleteMany([])).toBe(false);
    await store.setMany([]);
    expect(store.client.status).toBe('idle');
  });
});

describe('disconnect()', () => {
  it('closes a client the store created, and only that', async () => {
    const owned = new SentinelKeyvStore(LOCATION);
    await owned.disconnect();
    expect(owned.client.status).toBe('closed');

    const client = createSentinelClient(LOCATION);
    await new SentinelKeyvStore(client).disconnect();
    await createKeyv(client).disconnect();
    await createLegacyStore(client).disconnect();
    expect(client.status).toBe('idle');
  });
});

describe('used again after disconnect()', () => {
  it("opens a new client, says so with 'reopen', and the next disconnect() closes that one", async () => {
    const store = new SentinelKeyvStore(LOCATION, { readTimeout: 50 });
    store.on('error', () => {});
    const first = store.client;
    await store.disconnect();
    const reopened: unknown[] = [];
    store.on('reopen', (client) => reopened.push(client));
    await store.get('k');
    expect(store.client).not.toBe(first);
    expect(reopened).toEqual([store.client]);
    const second = store.client;
    await store.disconnect();
    expect(second.status).toBe('closed');
  });
});

describe('Redis unreachable', () => {
  it('a read past readTimeout misses with TIMEOUT, unsent, and leaves no call waiting in the client', async () => {
    // A sentinel that accepts connections and never answers: the client stays `connecting`.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = new SentinelKeyvStore(`mymaster/127.0.0.1:${port}`, {
      readTimeout: 20,
      clientOptions: { connectTimeout: 60_000 },
    });
    const errors: Error[] = [];
    store.on('error', (error: Error) => errors.push(error));
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => store.get('k')));
      expect(results).toEqual(Array(10).fill(undefined));
      expect(errors).toHaveLength(10);
      expect(errors.every((e) => isSentinelKitError(e, 'TIMEOUT'))).toBe(true);
      expect(errors[0]?.message).toMatch(/not sent/);
      expect(store.client.status).toBe('connecting');
      expect(store.client.stats().waitingForMaster).toBe(0);
    } finally {
      await store.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('createKeyv', () => {
  it('hands readTimeout and writeTimeout to the store', async () => {
    // A sentinel that never answers: every operation waits for a master until its timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const keyv = createKeyv(`mymaster/127.0.0.1:${port}`, {
      readTimeout: 20,
      writeTimeout: 30,
      throwOnErrors: true,
      clientOptions: { connectTimeout: 60_000 },
    });
    try {
      // Without them the read would wait 1 s (the default) and the write with no timeout at all.
      await expect(keyv.get('k')).rejects.toThrow(/within its timeout \(20 ms\)/);
      await expect(keyv.set('k', 'v')).rejects.toThrow(/within its timeout \(30 ms\)/);
    } finally {
      await keyv.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('helpers', () => {
  it('expiry(): PX is a positive integer, no expiry otherwise', () => {
    expect(expiry(1000)).toBe(1000);
    expect(expiry(0.2)).toBe(1);
    expect(expiry(1500.5)).toBe(1501);
    for (const none of [undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(expiry(none)).toBeUndefined();
    }
  });
});
