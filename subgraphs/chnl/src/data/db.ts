import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The channel domain's PostgreSQL schema; no other domain reads or writes it. */
export const CHNL_SCHEMA = 'chnl';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(CHNL_SCHEMA);

export type ChnlDb = DomainDb<PrismaClient>;

export const connectChnlDb = (databaseUrl: string, max = 10, logger?: Logger): ChnlDb =>
  connectDomainDb(PrismaClient, databaseUrl, CHNL_SCHEMA, max, logger);

export type { Channel, ChannelRole, Follow } from './prisma/client';
export type { ChannelRoleKind } from './prisma/enums';
