import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { ChatProvisionConfig, ChatStoreConfig } from './config';
import { createChatContext } from './context';
import { CHAT_SCHEMA, connectChatDb } from './data/db';
import { resolvers } from './resolvers';
import { ProjectionsService } from './services/projections.service';
import { createChatProvisionWorker } from './workers/provision.wkr';

export { seed } from './seed';

/** chat-store-svc: the chat subgraph and the relay of the chat domain's outbox. */
export const startChatStoreSvc = (config: ChatStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'chat', schema: CHAT_SCHEMA, connect: connectChatDb, resolvers, context: (deps) => createChatContext(config, deps) },
    { ...config, port: config.CHAT_STORE_PORT },
    bus,
    logger,
  );

/** chat-provision-wkr: consumes channel, account, follow and role events; serves only health endpoints. */
export const startChatProvisionWkr = (config: ChatProvisionConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    { connect: connectChatDb, worker: (prisma, on, log) => createChatProvisionWorker(on, new ProjectionsService(prisma), log) },
    { ...config, port: config.CHAT_PROVISION_HEALTH_PORT },
    bus,
    logger,
  );

export { chatPruneRnr } from './workers/prune.rnr';
