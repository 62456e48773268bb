// startStandaloneClient: one real redis-server under a SingleNodeClient, gone with close().
// (What the client does as a RoutedClient: packages/core/test/contract.int.test.ts.)
import { describe, expect, it } from 'vitest';
import { SingleNodeClient, startStandaloneClient } from '../src/index.js';
import { isPortFree } from '../src/ports.js';

describe('startStandaloneClient', () => {
  it('starts a server the client connects to; close() stops it and frees its port', async () => {
    const client = await startStandaloneClient();
    expect(client).toBeInstanceOf(SingleNodeClient);
    expect(client.status).toBe('idle');
    await client.connect();
    const { address } = client.topology().shards[0]?.master ?? {};
    expect(address?.host).toBe('127.0.0.1');
    expect(await client.call('PING')).toBe('PONG');
    await client.close();
    expect(await isPortFree(address?.port ?? 0)).toBe(true);
  });

  it('close() before connect() stops the server too', async () => {
    const client = await startStandaloneClient();
    expect(await isPortFree(client.address.port)).toBe(false);
    await client.close();
    expect(client.status).toBe('closed');
    expect(await isPortFree(client.address.port)).toBe(true);
  });

  it('connect() to an address nothing listens on: CONNECTION_FAILED at once, naming it', async () => {
    const client = new SingleNodeClient({ host: '127.0.0.1', port: 1 });
    await expect(client.connect()).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    expect(client.status).toBe('idle');
    await client.close();
  });
});
