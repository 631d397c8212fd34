import { connectDomainDb, type DomainDb } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { outboxOf } from '../../../../kernel/outbox/record';
import { PrismaClient } from './prisma/client';

export { PrismaClient };

/** The chat domain's PostgreSQL schema; no other domain reads or writes it. */
export const CHAT_SCHEMA = 'chat';

/** Records one of the domain's events in the outbox of the caller's transaction. */
export const recordEvent = outboxOf(CHAT_SCHEMA);

export type ChatDb = DomainDb<PrismaClient>;

export const connectChatDb = (databaseUrl: string, max = 10, logger?: Logger): ChatDb =>
  connectDomainDb(PrismaClient, databaseUrl, CHAT_SCHEMA, max, logger);

export type { Ban, BlockedTerm, Chatter, Emote, Message, Room } from './prisma/client';
