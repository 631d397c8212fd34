import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../kernel/db/embedded';
import { fromRoot } from '../../kernel/paths';

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

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let tries = 0; ; tries += 1) {
    const answered = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (answered) break;
    if (tries > 100 || child.exitCode !== null) throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface PrivateServices {
  kafka: PrivateKafka;
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  stop(): Promise<void>;
}

export async function startPrivateServices(dir: string): Promise<PrivateServices> {
  const [kafka, postgres, redis] = await Promise.all([startKafka(dir), startPostgres(dir), startRedis()]);
  return {
    kafka,
    postgres,
    redis,
    stop: async () => {
      await Promise.allSettled([kafka.stop(), postgres.stop(), redis.stop()]);
    },
  };
}
