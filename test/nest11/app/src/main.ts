// Starts the Nest 11 app on an ephemeral port of 127.0.0.1 and prints its URL. SIGUSR2 closes it
// with app.close(); nothing calls process.exit(): the process must then end by itself.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  // A signal listener does not keep the process alive by itself.
  process.once('SIGUSR2', () => {
    void app.close().then(() => console.log(JSON.stringify({ closed: true })));
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const resolved = Object.fromEntries(
    ['@sentinelkit/nestjs', '@sentinelkit/nestjs/health', '@nestjs/common'].map((name) => [
      name,
      require.resolve(name),
    ]),
  );
  console.log(
    JSON.stringify({ url, nest: require('@nestjs/core/package.json').version, resolved }),
  );
}

void bootstrap();
