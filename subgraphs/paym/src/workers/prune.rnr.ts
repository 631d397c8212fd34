import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { PaymPruneConfig } from '../config';
import { connectPaymDb, type PrismaClient } from '../data/db';

/** paym-prune-rnr: the domain's published outbox rows and processed-event ids past the replay window. */
const paymPruneRunner = (config: PaymPruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'paym-prune-rnr',
  connect: connectPaymDb,
  pass: (db, now) => pruneReplayed(db.pool, { windowDays: config.PAYM_REPLAY_WINDOW_DAYS, now, processedEvents: true }),
});

export const paymPruneRnr = runnerProcess(paymPruneRunner, (config: PaymPruneConfig) => ({
  port: config.PAYM_PRUNE_HEALTH_PORT,
  intervalMs: config.PAYM_PRUNE_INTERVAL_MS,
}));
