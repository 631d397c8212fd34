import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { PtfmNotifyConfig, PtfmStoreConfig } from './config';
import { createPtfmContext } from './context';
import { connectPtfmDb, PTFM_SCHEMA } from './data/db';
import { resolvers } from './resolvers';
import { FanoutService } from './services/fanout.service';
import { ProjectionsService } from './services/projections.service';
import { createPtfmNotifyWorker } from './workers/notify.wkr';

/** ptfm-store-svc: the platform subgraph (the inbox, preferences, push subscriptions) and the relay of its outbox. */
export const startPtfmStoreSvc = (config: PtfmStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'ptfm', schema: PTFM_SCHEMA, connect: connectPtfmDb, resolvers, context: (deps) => createPtfmContext(deps) },
    { ...config, port: config.PTFM_STORE_PORT },
    bus,
    logger,
  );

/** ptfm-notify-wkr: the projections the notifications read, and the go-live fan-out. */
export const startPtfmNotifyWkr = (config: PtfmNotifyConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectPtfmDb,
      // Its lanes, the LISTEN connection and one per consumed topic.
      poolSize: config.PTFM_FANOUT_CONCURRENCY + 5,
      worker: (prisma, on, log, pool) =>
        createPtfmNotifyWorker(
          on,
          pool,
          { projections: new ProjectionsService(prisma), fanout: new FanoutService(prisma, config.PTFM_FANOUT_SLICE_SIZE, log) },
          { lanes: config.PTFM_FANOUT_CONCURRENCY },
          log,
        ),
    },
    { ...config, port: config.PTFM_NOTIFY_HEALTH_PORT },
    bus,
    logger,
  );
