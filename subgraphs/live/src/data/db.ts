import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The live domain's PostgreSQL schema; no other domain reads or writes it. */
export const LIVE_SCHEMA = 'live';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(LIVE_SCHEMA);

export type LiveDb = DomainDb<PrismaClient>;

export const connectLiveDb = (databaseUrl: string, max = 10, logger?: Logger): LiveDb =>
  connectDomainDb(PrismaClient, databaseUrl, LIVE_SCHEMA, max, logger);

export type { ChannelInfo, Clip, LiveInput, Stream, Vod, WebhookInbox } from './prisma/client';
