import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

export interface RedisServer {
  url: string;
  /** Stops the server: every client loses its connection, as in an outage. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (it keeps nothing on disk). */
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });

/**
 * A redis-server of the test's own on a free loopback port, which the test may stop and start: the machine's shared
 * Redis is never stopped by a test.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    if (child) return;
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    child = started;
    exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    for (let tries = 0; !(await answers(port)); tries += 1) {
      if (tries > 100 || started.exitCode !== null) throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child?.exitCode === null) child.kill('SIGTERM');
      await exited;
      child = undefined;
    },
    start,
  };
}
