// Runs the example app against a deployment: SENTINEL_LOCATION=mymaster/host:port,… pnpm start
import { createSentinelClient } from '@sentinelkit/core';
import { createExampleApp } from './app.js';

const location = process.env.SENTINEL_LOCATION;
if (!location) {
  console.error('Set SENTINEL_LOCATION (e.g. the location `pnpm topology` prints).');
  process.exit(64);
}
const client = createSentinelClient(location);
await client.connect();
const { app, close } = createExampleApp(client);
const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, () => console.log(`example app on http://127.0.0.1:${port}`));

async function shutdown(): Promise<void> {
  server.close();
  server.closeAllConnections();
  await close();
  await client.close();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
