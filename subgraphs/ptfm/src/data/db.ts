import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The platform domain's PostgreSQL schema; no other domain reads or writes it. */
export const PTFM_SCHEMA = 'ptfm';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(PTFM_SCHEMA);

export type PtfmDb = DomainDb<PrismaClient>;

export const connectPtfmDb = (databaseUrl: string, max = 10, logger?: Logger): PtfmDb =>
  connectDomainDb(PrismaClient, databaseUrl, PTFM_SCHEMA, max, logger);

export type { Announcement, Category, Notification, Preference, PushSubscription, TrustCase } from './prisma/client';
