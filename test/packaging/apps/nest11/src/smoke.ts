// What the packaging check runs: the app on a free port, a write and a read through HTTP, then
// app.close(). The process must then exit by itself: no socket or timer left open.
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function smoke(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const wrote = `nest11-${process.pid}`;
  const saved = await fetch(`${url}/value/${wrote}`, { method: 'PUT' });
  const loaded = (await (await fetch(`${url}/value`)).json()) as { read: string | null };
  await app.close();
  console.log(JSON.stringify({ app: 'nest11', wrote, read: loaded.read, status: saved.status }));
}

smoke().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
