import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { PtfmPruneConfig } from '../config';
import { connectPtfmDb, type PrismaClient } from '../data/db';
import { InboxService } from '../services/inbox.service';

/** ptfm-prune-rnr: the replay window, and the inbox's notifications past their retention. */
const ptfmPruneRunner = (config: PtfmPruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'ptfm-prune-rnr',
  connect: connectPtfmDb,
  pass: async (db, now) => ({
    ...(await pruneReplayed(db.pool, { windowDays: config.PTFM_REPLAY_WINDOW_DAYS, now, processedEvents: true })),
    notifications: await new InboxService(db.prisma).prune(now),
  }),
});

export const ptfmPruneRnr = runnerProcess(ptfmPruneRunner, (config: PtfmPruneConfig) => ({
  port: config.PTFM_PRUNE_HEALTH_PORT,
  intervalMs: config.PTFM_PRUNE_INTERVAL_MS,
}));
