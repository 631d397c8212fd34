import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { ChnlProvisionConfig, ChnlStoreConfig } from './config';
import { createChnlContext } from './context';
import { CHNL_SCHEMA, connectChnlDb } from './data/db';
import { resolvers } from './resolvers';
import { ChannelsService } from './services/channels.service';
import { createProvisionWorker } from './workers/provision.wkr';

/** chnl-store-svc: the channel subgraph and the relay of the channel domain's outbox. */
export const startChnlStoreSvc = (config: ChnlStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'chnl', schema: CHNL_SCHEMA, connect: connectChnlDb, resolvers, context: createChnlContext },
    { ...config, port: config.CHNL_STORE_PORT },
    bus,
    logger,
  );

/** chnl-provision-wkr: consumes account creations; serves only health endpoints. */
export const startChnlProvisionWkr = (config: ChnlProvisionConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    { connect: connectChnlDb, worker: (prisma, on, log) => createProvisionWorker(on, new ChannelsService(prisma), log) },
    { ...config, port: config.CHNL_PROVISION_HEALTH_PORT },
    bus,
    logger,
  );

export { chnlPruneRnr } from './workers/prune.rnr';
