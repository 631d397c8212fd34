import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The user domain's PostgreSQL schema; no other domain reads or writes it. */
export const USER_SCHEMA = 'user';

export type UserDb = DomainDb<PrismaClient>;

export const connectUserDb = (databaseUrl: string, max = 10, logger?: Logger): UserDb =>
  connectDomainDb(PrismaClient, databaseUrl, USER_SCHEMA, max, logger);

export type { User } from './prisma/client';
export type { DeveloperApp } from './prisma/client';
