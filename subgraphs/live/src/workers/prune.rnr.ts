import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { LivePruneConfig } from '../config';
import { connectLiveDb, type PrismaClient } from '../data/db';

/** live-prune-rnr: the domain's published outbox rows and processed-event ids past the replay window. */
const livePruneRunner = (config: LivePruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'live-prune-rnr',
  connect: connectLiveDb,
  pass: (db, now) => pruneReplayed(db.pool, { windowDays: config.LIVE_REPLAY_WINDOW_DAYS, now, processedEvents: true }),
});

export const livePruneRnr = runnerProcess(livePruneRunner, (config: LivePruneConfig) => ({
  port: config.LIVE_PRUNE_HEALTH_PORT,
  intervalMs: config.LIVE_PRUNE_INTERVAL_MS,
}));
