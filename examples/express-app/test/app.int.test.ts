import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

describe('examples/express-app on a real topology', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  let example: ExampleApp;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    client = createSentinelClient(topology.location);
    await client.connect();
    example = createExampleApp(client);
  });

  afterAll(async () => {
    await example?.close();
    await client?.close();
    await topology?.stop();
  });

  async function login(user: string): Promise<string> {
    const response = await request(example.app).post(`/login?user=${user}`);
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/me');
    return String(response.headers['set-cookie']).split(';')[0]!;
  }

  it('login → redirect → /me sees the session at once', async () => {
    const cookie = await login('ada');
    const me = await request(example.app).get('/me').set('cookie', cookie);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: 'ada', visits: 1 });
    expect((await request(example.app).get('/me')).status).toBe(401);
  });

  it('/items/:id is computed once and then served from the cache', async () => {
    const before = example.computations();
    const first = await request(example.app).get('/items/42');
    const second = await request(example.app).get('/items/42');
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(example.computations()).toBe(before + 1);
  });

  it('a master kill in the middle of a session flow: still logged in, no failed request', async () => {
    const cookie = await login('grace');
    const statuses: number[] = [];
    const switched = topology.waitForSwitch();
    await topology.killMaster();
    let done = false;
    void switched.then(() => {
      done = true;
    });
    // Browse through the failover until Sentinel has switched, then once more.
    while (!done) {
      statuses.push((await request(example.app).get('/me').set('cookie', cookie)).status);
      statuses.push((await request(example.app).get(`/items/${statuses.length % 7}`)).status);
    }
    const after = await request(example.app).get('/me').set('cookie', cookie);
    expect(after.body.user).toBe('grace');
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('rejects a malformed user name with a clear 400', async () => {
    const response = await request(example.app).post('/login?user=a%20b');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/letters, digits/);
  });
});
