import type { Pool } from 'pg';
import type { Consumer } from './bus/consumer';
import type { EventBus } from './bus/port';
import type { DomainDb } from './db/client';
import { createHttpApp, listen } from './http';
import type { Logger } from './log';

/**
 * A `wkr` process: its consumer started, and health endpoints that are ready while the database, the bus and the
 * consumer are. Stopping closes the endpoints first, then lets the consumer commit what it handled, then the pool.
 */
async function runWorkerProcess(options: { worker: Consumer; db: DomainDb<unknown>; bus: EventBus; port: number; logger: Logger }) {
  const { worker, db, bus } = options;
  await worker.start();
  const health = await listen(
    createHttpApp(options.logger, {
      database: () => db.pool.query('SELECT 1').then(() => true),
      bus: () => bus.healthy(),
      consumer: async () => worker.status() === 'ready',
    }),
    options.port,
  );
  return {
    url: health.url,
    stop: async () => {
      await health.close();
      await worker.stop();
      await db.close();
    },
  };
}

/**
 * A domain's `wkr` process on a small pool of its own: the consumer is built from the domain's Prisma client (and
 * the pool under it, for a worker that LISTENs).
 */
export async function startDomainWorker<P>(
  options: {
    connect(databaseUrl: string, max: number, logger: Logger): DomainDb<P>;
    worker(prisma: P, bus: EventBus, logger: Logger, pool: Pool): Consumer;
    /** Connections of its pool: 4 unless the worker holds more at once. */
    poolSize?: number;
  },
  settings: { DATABASE_URL: string; port: number },
  bus: EventBus,
  logger: Logger,
): Promise<{ url: string; stop(): Promise<void> }> {
  const db = options.connect(settings.DATABASE_URL, options.poolSize ?? 4, logger);
  return runWorkerProcess({ worker: options.worker(db.prisma, bus, logger, db.pool), db, bus, port: settings.port, logger });
}
