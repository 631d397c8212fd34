import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import type { UserStoreConfig } from './config';
import { createUserContext } from './context';
import { connectUserDb, USER_SCHEMA } from './data/db';
import { resolvers } from './resolvers';

export { bootstrapFirstAdmin, DEMO_USERS, seed } from './seed';

/** user-store-svc: the user subgraph and the relay of the user domain's outbox. */
export const startUserStoreSvc = (config: UserStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'user', schema: USER_SCHEMA, connect: connectUserDb, resolvers, context: (deps) => createUserContext(config, deps, logger) },
    { ...config, port: config.USER_STORE_PORT },
    bus,
    logger,
  );

export { userPruneRnr } from './workers/prune.rnr';
