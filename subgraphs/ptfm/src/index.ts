import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import { connectedUsers, presenceKey } from '../../../kernel/presence';
import { connectRedis } from '../../../kernel/redis';
import { type PtfmAnalysisConfig, type PtfmNotifyConfig, type PtfmSearchConfig, type PtfmStoreConfig, vapidOf } from './config';
import { createPtfmContext } from './context';
export { seed } from './seed';
import { connectPtfmDb, PTFM_SCHEMA } from './data/db';
import { resolvers } from './resolvers';
import { AnalysisService } from './services/analysis.service';
import { ThrowawayDomains } from './services/throwaway-domains';
import { FanoutService } from './services/fanout.service';
import { ProjectionsService } from './services/projections.service';
import { PushService, webPushSender } from './services/push.service';
import { SearchService } from './services/search.service';
import { ANALYSIS_TOPICS, createPtfmAnalysisWorker } from './workers/analysis.wkr';
import { createPtfmNotifyWorker } from './workers/notify.wkr';
import { createPtfmSearchWorker, SEARCH_TOPICS } from './workers/search.wkr';

/** ptfm-store-svc: the platform subgraph (the inbox, preferences, push subscriptions) and the relay of its outbox. */
export const startPtfmStoreSvc = (config: PtfmStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    {
      name: 'ptfm',
      schema: PTFM_SCHEMA,
      connect: connectPtfmDb,
      resolvers,
      context: (deps) => createPtfmContext(deps, { mfaMaxAgeSeconds: config.STAFF_MFA_MAX_AGE_SECONDS }),
    },
    { ...config, port: config.PTFM_STORE_PORT },
    bus,
    logger,
  );

/** ptfm-notify-wkr: the projections the notifications read, the go-live fan-out and the Web Push of notifications. */
export async function startPtfmNotifyWkr(config: PtfmNotifyConfig, bus: EventBus, logger: Logger) {
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, logger, 'go-live fan-outs write every slice in its turn, connected followers not first')
    : undefined;
  const presence = redis ? presenceKey(config.RT_REDIS_PREFIX) : undefined;
  const running = await startDomainWorker(
    {
      connect: connectPtfmDb,
      // Its lanes and pusher, their two LISTEN connections and one per consumed topic.
      poolSize: config.PTFM_FANOUT_CONCURRENCY + 8,
      worker: (prisma, on, log, pool) => {
        const vapid = vapidOf(config);
        return createPtfmNotifyWorker(
          on,
          pool,
          {
            projections: new ProjectionsService(prisma),
            fanout: new FanoutService(
              prisma,
              config.PTFM_FANOUT_SLICE_SIZE,
              log,
              redis && presence ? () => connectedUsers(redis, presence) : undefined,
            ),
            push: vapid ? new PushService(prisma, webPushSender(vapid), log) : undefined,
          },
          { lanes: config.PTFM_FANOUT_CONCURRENCY },
          log,
        );
      },
    },
    { ...config, port: config.PTFM_NOTIFY_HEALTH_PORT },
    bus,
    logger,
  );
  return {
    ...running,
    async stop() {
      await running.stop();
      await redis?.quit();
    },
  };
}

/** ptfm-search-wkr: keeps search's read model (accounts and channels) from the user, chnl and live events. */
export const startPtfmSearchWkr = (config: PtfmSearchConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectPtfmDb,
      // One connection per consumed topic: a burst on one does not hold back a suspension on another.
      poolSize: SEARCH_TOPICS.length,
      worker: (prisma, on, log) => createPtfmSearchWorker(on, new SearchService(prisma), log),
    },
    { ...config, port: config.PTFM_SEARCH_HEALTH_PORT },
    bus,
    logger,
  );

/** ptfm-analysis-wkr: account analysis, which opens the trust and safety queue's cases from the user, chnl and chat events. */
export const startPtfmAnalysisWkr = (config: PtfmAnalysisConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectPtfmDb,
      poolSize: ANALYSIS_TOPICS.length,
      worker: (prisma, on, log) =>
        createPtfmAnalysisWorker(
          on,
          new AnalysisService(
            prisma,
            {
              signupsPerHour: config.PTFM_ANALYSIS_SIGNUPS_PER_HOUR,
              followsPerMinute: config.PTFM_ANALYSIS_FOLLOWS_PER_MINUTE,
              throwawaySignupsPerHour: config.PTFM_ANALYSIS_THROWAWAY_SIGNUPS_PER_HOUR,
              chatRefusalsPerHour: config.PTFM_ANALYSIS_CHAT_REFUSALS_PER_HOUR,
            },
            new ThrowawayDomains(config.PTFM_ANALYSIS_THROWAWAY_DOMAINS),
          ),
          log,
        ),
    },
    { ...config, port: config.PTFM_ANALYSIS_HEALTH_PORT },
    bus,
    logger,
  );

export { ptfmPruneRnr } from './workers/prune.rnr';
