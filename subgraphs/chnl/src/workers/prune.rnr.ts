import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { ChnlPruneConfig } from '../config';
import { connectChnlDb, type PrismaClient } from '../data/db';

/** chnl-prune-rnr: the domain's published outbox rows and processed-event ids past the replay window. */
const chnlPruneRunner = (config: ChnlPruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'chnl-prune-rnr',
  connect: connectChnlDb,
  pass: (db, now) => pruneReplayed(db.pool, { windowDays: config.CHNL_REPLAY_WINDOW_DAYS, now, processedEvents: true }),
});

export const chnlPruneRnr = runnerProcess(chnlPruneRunner, (config: ChnlPruneConfig) => ({
  port: config.CHNL_PRUNE_HEALTH_PORT,
  intervalMs: config.CHNL_PRUNE_INTERVAL_MS,
}));
