import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The user domain's PostgreSQL schema; no other domain reads or writes it. */
export const USER_SCHEMA = 'user';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(USER_SCHEMA);

export type UserDb = DomainDb<PrismaClient>;

export const connectUserDb = (databaseUrl: string, max = 10, logger?: Logger): UserDb =>
  connectDomainDb(PrismaClient, databaseUrl, USER_SCHEMA, max, logger);

export type { User } from './prisma/client';
export type { DeveloperApp } from './prisma/client';
export type { AuditRecord } from './prisma/client';
