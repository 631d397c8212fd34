import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../kernel/db/embedded';
import { fromRoot } from '../../kernel/paths';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/**
 * The battery's own PostgreSQL, Redis and Kafka broker, on free loopback ports and in its run directory: the
 * machine's shared servers are never stopped, restarted or flushed by a fault case.
 */
const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateKafka {
  brokers: string;
  stop(): Promise<void>;
  /** Starts the stopped broker again on its data, as a restart in production does. */
  resume(): Promise<void>;
}

async function startKafka(dir: string): Promise<PrivateKafka> {
  const port = await freePort();
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    KAFKA_DATA_DIR: path.join(dir, 'kafka'),
    KAFKA_HEAP: '-Xmx384m -Xms128m',
  };
  const script = (command: string) => run('bash', [fromRoot('scripts', 'kafka.sh'), command], { env, maxBuffer: 1 << 24 });
  await script('start');
  return {
    brokers: `127.0.0.1:${port}`,
    stop: () => script('stop').then(() => undefined),
    resume: () => script('resume').then(() => undefined),
  };
}

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startPostgres(dir: string): Promise<PrivatePostgres> {
  const options = { dataDir: path.join(dir, 'postgres'), port: await freePort(), database: 'platform' };
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres(options);
  const url = server.url;
  return {
    url,
    stop: async () => {
      await server?.stop();
      server = undefined;
    },
    start: async () => {
      server ??= await startEmbeddedPostgres(options);
    },
  };
}

export interface PrivateServices {
  kafka: PrivateKafka;
  postgres: PrivatePostgres;
  redis: RedisServer;
  stop(): Promise<void>;
}

export async function startPrivateServices(dir: string): Promise<PrivateServices> {
  const started = await Promise.allSettled([startKafka(dir), startPostgres(dir), startRedisServer()] as const);
  // One that could not start (a broker slow to answer on a loaded machine) must not leave the others running.
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.allSettled(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])));
    throw failure.reason;
  }
  const [kafka, postgres, redis] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    PrivateKafka,
    PrivatePostgres,
    RedisServer,
  ];
  return {
    kafka,
    postgres,
    redis,
    stop: async () => {
      await Promise.allSettled([kafka.stop(), postgres.stop(), redis.stop()]);
    },
  };
}
