import { makeEvent, type EventData, type Topic } from '../../../../kernel/events';
import { notifyOutboxSql, outboxRow } from '../../../../kernel/outbox/record';
import { CHAT_SCHEMA } from '../data/db';
import type { PrismaClient } from '../data/prisma/client';

export type ChatTopic = Extract<Topic, `chat.${string}`>;

/** What a write needs of its transaction to record an event beside its rows. */
export type OutboxTx = Pick<PrismaClient, 'outboxEvent' | '$executeRawUnsafe'>;

/** Records a chat event in the outbox of the caller's transaction, keyed by channel so a room's events stay in order. */
export async function emit<T extends ChatTopic>(tx: OutboxTx, topic: T, channelId: string, data: EventData<T>): Promise<void> {
  await tx.outboxEvent.create({ data: outboxRow(makeEvent(topic, data), channelId) });
  await tx.$executeRawUnsafe(notifyOutboxSql(CHAT_SCHEMA));
}
