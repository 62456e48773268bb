// Runs the example against a deployment:
//   SENTINEL_LOCATION=mymaster/127.0.0.1:26379,… pnpm --filter @sentinelkit/example-nestjs-app start
import { createApp } from './app.js';

if (!process.env.SENTINEL_LOCATION) {
  console.error('Set SENTINEL_LOCATION (e.g. the location `pnpm topology` prints).');
  process.exit(64);
}
const app = await createApp();
// SIGINT/SIGTERM → app.close(): the cache lets go of the client, then SentinelModule closes it.
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, '127.0.0.1');
console.log(
  `example app on http://127.0.0.1:${port} (GET /items/1, GET /health, POST /counter, GET /metrics)`,
);
