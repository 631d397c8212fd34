import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The payment domain's PostgreSQL schema; no other domain reads or writes it. */
export const PAYM_SCHEMA = 'paym';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(PAYM_SCHEMA);

export type PaymDb = DomainDb<PrismaClient>;

export const connectPaymDb = (databaseUrl: string, max = 10, logger?: Logger): PaymDb =>
  connectDomainDb(PrismaClient, databaseUrl, PAYM_SCHEMA, max, logger);

export type { BuyerFlag, Entitlement, Payment, Payout, PayoutAccount, Product, ProductPrice, WebhookInbox } from './prisma/client';
