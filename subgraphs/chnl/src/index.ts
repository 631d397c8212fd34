import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { createOutboxRelay } from '../../../kernel/outbox/relay';
import { fromRoot } from '../../../kernel/paths';
import { startSubgraph } from '../../../kernel/subgraph';
import { runWorkerProcess } from '../../../kernel/worker-process';
import type { ChnlProvisionConfig, ChnlStoreConfig } from './config';
import { createChnlContext } from './context';
import { CHNL_SCHEMA, connectChnlDb } from './data/db';
import { resolvers } from './resolvers';
import { ChannelsService } from './services/channels.service';
import { createProvisionWorker } from './workers/provision.wkr';

/** chnl-store-svc: the channel subgraph and the relay of the channel domain's outbox. */
export async function startChnlStoreSvc(config: ChnlStoreConfig, bus: EventBus, logger: Logger) {
  const db = connectChnlDb(config.DATABASE_URL, 10, logger);
  const channels = new ChannelsService(db.prisma);
  const relay = createOutboxRelay({ pool: db.pool, schema: CHNL_SCHEMA, bus, logger });
  await relay.start();
  const subgraph = await startSubgraph({
    name: 'chnl',
    sdlPath: fromRoot('subgraphs', 'chnl', 'schema.graphql'),
    resolvers,
    identitySecret: config.IDENTITY_SECRET,
    port: config.CHNL_STORE_PORT,
    logger,
    checks: { database: () => db.pool.query('SELECT 1').then(() => true), bus: () => bus.healthy() },
    context: createChnlContext(channels),
  });
  return {
    url: subgraph.url,
    channels,
    relay,
    stop: async () => {
      await subgraph.stop();
      await relay.stop();
      await db.close();
    },
  };
}

/** chnl-provision-wkr: consumes account creations; serves only health endpoints. */
export async function startChnlProvisionWkr(config: ChnlProvisionConfig, bus: EventBus, logger: Logger) {
  const db = connectChnlDb(config.DATABASE_URL, 4, logger);
  const worker = createProvisionWorker(bus, new ChannelsService(db.prisma), logger);
  return runWorkerProcess({ worker, db, bus, port: config.CHNL_PROVISION_HEALTH_PORT, logger });
}
