import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { UserPruneConfig } from '../config';
import { connectUserDb, type PrismaClient } from '../data/db';

/**
 * user-prune-rnr: the domain's published outbox rows past the replay window (it consumes no events, so keeps no
 * processed ids). Accounts that never verified their email are not deleted: every account owns the channel the chnl
 * domain provisioned from its user.account.created.v1, and the domain publishes no deletion event the others could
 * follow, so a deleted account would leave its channel, room and projections behind.
 */
const userPruneRunner = (config: UserPruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'user-prune-rnr',
  connect: connectUserDb,
  pass: (db, now) => pruneReplayed(db.pool, { windowDays: config.USER_REPLAY_WINDOW_DAYS, now, processedEvents: false }),
});

export const userPruneRnr = runnerProcess(userPruneRunner, (config: UserPruneConfig) => ({
  port: config.USER_PRUNE_HEALTH_PORT,
  intervalMs: config.USER_PRUNE_INTERVAL_MS,
}));
