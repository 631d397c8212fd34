import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { UserAuditConfig, UserStoreConfig } from './config';
import { createUserContext } from './context';
import { connectUserDb, USER_SCHEMA } from './data/db';
import { resolvers } from './resolvers';
import { createUserAuditWorker } from './workers/audit.wkr';

export { bootstrapFirstAdmin, DEMO_USERS, seed } from './seed';

/** user-store-svc: the user subgraph and the relay of the user domain's outbox. */
export const startUserStoreSvc = (config: UserStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'user', schema: USER_SCHEMA, connect: connectUserDb, resolvers, context: (deps) => createUserContext(config, deps, logger) },
    { ...config, port: config.USER_STORE_PORT },
    bus,
    logger,
  );

/** user-audit-wkr: appends the staff actions other domains record to the staff audit log. */
export const startUserAuditWkr = (config: UserAuditConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    { connect: connectUserDb, worker: (prisma, on, log) => createUserAuditWorker(on, prisma, log) },
    { ...config, port: config.USER_AUDIT_HEALTH_PORT },
    bus,
    logger,
  );

export { userPruneRnr } from './workers/prune.rnr';
