import { pruneReplayed, type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { ChatPruneConfig } from '../config';
import { connectChatDb, type PrismaClient } from '../data/db';
import { RetentionService } from '../services/retention.service';

/** chat-prune-rnr: the replay window, expired timeouts, and history past its retention. */
const chatPruneRunner = (config: ChatPruneConfig): RunnerDefinition<PrismaClient> => ({
  name: 'chat-prune-rnr',
  connect: connectChatDb,
  pass: async (db, now) => ({
    ...(await pruneReplayed(db.pool, { windowDays: config.CHAT_REPLAY_WINDOW_DAYS, now, processedEvents: true })),
    ...(await new RetentionService(db.pool, config.CHAT_HISTORY_RETENTION_DAYS).prune(now)),
  }),
});

export const chatPruneRnr = runnerProcess(chatPruneRunner, (config: ChatPruneConfig) => ({
  port: config.CHAT_PRUNE_HEALTH_PORT,
  intervalMs: config.CHAT_PRUNE_INTERVAL_MS,
}));
