import type { Consumer } from './bus/consumer';
import type { EventBus } from './bus/port';
import type { DomainDb } from './db/client';
import { createHttpApp, listen } from './http';
import type { Logger } from './log';

/**
 * A `wkr` process: its consumer started, and health endpoints that are ready while the database, the bus and the
 * consumer are. Stopping closes the endpoints first, then lets the consumer commit what it handled, then the pool.
 */
export async function runWorkerProcess<W extends Consumer>(options: { worker: W; db: DomainDb<unknown>; bus: EventBus; port: number; logger: Logger }) {
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
    worker,
    stop: async () => {
      await health.close();
      await worker.stop();
      await db.close();
    },
  };
}
