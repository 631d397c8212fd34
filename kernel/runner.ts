import type { Pool } from 'pg';
import { Counter, Gauge } from 'prom-client';
import type { Consumer, ConsumerStatus } from './bus/consumer';
import type { DomainDb } from './db/client';
import { createHttpApp, listen } from './http';
import type { Logger } from './log';

/** What one pass of a runner did, by kind of thing (rows removed, entitlements expired...). */
export type RunCounts = Record<string, number>;

/** A `{domain}-{usage}-rnr`: a pass over its domain's database, run on a schedule, one instance at a time. */
export interface RunnerDefinition<P> {
  /** The process name; it also names the advisory lock, so two instances of one runner never pass at once. */
  name: string;
  connect(databaseUrl: string, max: number, logger: Logger): DomainDb<P>;
  pass(db: DomainDb<P>, now: Date): Promise<RunCounts>;
}

const runnerPasses = new Counter({
  name: 'runner_passes_total',
  help: 'Passes of a runner, by outcome: done, skipped (another instance held the lock) or failed.',
  labelNames: ['runner', 'outcome'] as const,
});

const runnerItems = new Counter({
  name: 'runner_items_total',
  help: 'What the passes of a runner did, by kind (rows removed, entitlements expired...).',
  labelNames: ['runner', 'kind'] as const,
});

const runnerLastDone = new Gauge({
  name: 'runner_last_done_timestamp_seconds',
  help: 'When a pass of a runner last finished its work in this process.',
  labelNames: ['runner'] as const,
});

/**
 * One pass under the runner's session advisory lock, held on a connection of its own for the whole pass (the pass
 * itself may use any other): `null` when another instance holds it, which is logged and counted as skipped.
 */
export async function runPass<P>(definition: RunnerDefinition<P>, db: DomainDb<P>, logger: Logger, now = new Date()) {
  const lock = await db.pool.connect();
  try {
    const key = `runner:${definition.name}`;
    const { rows } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [key]);
    if (!rows[0].locked) {
      runnerPasses.inc({ runner: definition.name, outcome: 'skipped' });
      logger.info({ runner: definition.name }, 'another instance holds the runner; pass skipped');
      return null;
    }
    try {
      const counts = await definition.pass(db, now);
      runnerPasses.inc({ runner: definition.name, outcome: 'done' });
      for (const [kind, count] of Object.entries(counts)) runnerItems.inc({ runner: definition.name, kind }, count);
      runnerLastDone.set({ runner: definition.name }, Date.now() / 1000);
      logger.info({ runner: definition.name, ...counts }, 'runner pass done');
      return counts;
    } catch (error) {
      runnerPasses.inc({ runner: definition.name, outcome: 'failed' });
      throw error;
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    lock.release();
  }
}

/**
 * The schedule of a runner, shaped as a consumer so its process probes it like a worker: ready once a pass ran (or
 * was skipped for another instance), unhealthy while passes fail. The first pass starts without being awaited, so
 * starting the runner (with every other process under `npm start`) waits for none of its work.
 */
export function scheduleRunner<P>(definition: RunnerDefinition<P>, db: DomainDb<P>, intervalMs: number, logger: Logger): Consumer {
  let status: ConsumerStatus = 'waiting';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let processed = 0;
  let failed = 0;
  const run = async () => {
    try {
      await runPass(definition, db, logger);
      processed += 1;
      if (status !== 'stopped') status = 'ready';
    } catch (error) {
      failed += 1;
      if (status !== 'stopped') status = 'unhealthy';
      logger.error({ err: error, runner: definition.name }, 'runner pass failed; tried again at the next one');
    }
  };
  const next = (delay: number) => {
    timer = setTimeout(() => {
      running = run().then(() => {
        if (status !== 'stopped') next(intervalMs);
      });
    }, delay);
  };
  return {
    start: async () => next(0),
    stop: async () => {
      status = 'stopped';
      clearTimeout(timer);
      await running;
    },
    status: () => status,
    stats: () => ({ processed, retried: failed, deadLettered: 0 }),
  };
}

/** A runner's process: its schedule, and health endpoints ready while the database and the schedule are. */
export async function startRunner<P>(
  definition: RunnerDefinition<P>,
  settings: { DATABASE_URL: string; port: number; intervalMs: number },
  logger: Logger,
): Promise<{ url: string; stop(): Promise<void> }> {
  // The lock's connection and the pass's.
  const db = definition.connect(settings.DATABASE_URL, 3, logger);
  const runner = scheduleRunner(definition, db, settings.intervalMs, logger);
  await runner.start();
  const health = await listen(
    createHttpApp(logger, {
      database: () => db.pool.query('SELECT 1').then(() => true),
      runner: async () => runner.status() === 'ready',
    }),
    settings.port,
  );
  return {
    url: health.url,
    stop: async () => {
      await health.close();
      await runner.stop();
      await db.close();
    },
  };
}

/** One pass by hand (`npm run process -- <name> --once`); `null` when another instance held the lock. */
export async function runOnce<P>(definition: RunnerDefinition<P>, databaseUrl: string, logger: Logger): Promise<RunCounts | null> {
  const db = definition.connect(databaseUrl, 2, logger);
  try {
    return await runPass(definition, db, logger);
  } finally {
    await db.close();
  }
}

/**
 * Removes, in batches so no statement holds its rows long, what matches `where` in `table` of the pool's schema
 * (the domain's own, first on its search_path); answers how many rows went.
 */
export async function deleteInBatches(pool: Pool, table: string, where: string, params: unknown[], batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT ${batch}))`,
      params,
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return total;
  }
}

/**
 * The replay window of a domain: its outbox rows published and older than `windowDays`, and (where it consumes
 * events) the ids of events it processed before then. The window is meant to cover the bus's retention: an event
 * redelivered after it would be processed again.
 */
export async function pruneReplayed(pool: Pool, options: { windowDays: number; now: Date; processedEvents: boolean }): Promise<RunCounts> {
  const cutoff = new Date(options.now.getTime() - options.windowDays * 86_400_000);
  const outbox = await deleteInBatches(pool, 'outbox', 'published_at IS NOT NULL AND created_at < $1', [cutoff]);
  if (!options.processedEvents) return { outbox };
  return { outbox, processedEvents: await deleteInBatches(pool, 'processed_event', 'processed_at < $1', [cutoff]) };
}

/**
 * What the process registry needs of a runner: `start` for its scheduled process, `once` for one pass by hand, both
 * from the definition its config gives. A runner publishes nothing itself (what it records goes through its outbox)
 * and needs no bus.
 */
export function runnerProcess<C extends { DATABASE_URL: string }, P>(
  define: (config: C) => RunnerDefinition<P>,
  schedule: (config: C) => { port: number; intervalMs: number },
) {
  return {
    start: (config: C, _bus: unknown, logger: Logger) =>
      startRunner(define(config), { DATABASE_URL: config.DATABASE_URL, ...schedule(config) }, logger),
    once: (config: C, logger: Logger) => runOnce(define(config), config.DATABASE_URL, logger),
  };
}
