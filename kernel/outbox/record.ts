import type { EventOf, Topic } from '../events';
import { outboxChannel } from './relay';

/**
 * The outbox row for an event, written in the same transaction as the change it describes; the relay publishes
 * it afterwards. Keyed so that all events of one entity land on one partition, in order.
 */
export function outboxRow<T extends Topic>(event: EventOf<T>, key: string) {
  return { id: event.id, topic: event.type, key, payload: event as object };
}

/** The NOTIFY that wakes the domain's relay once the transaction commits (PostgreSQL delivers it on commit). */
export const notifyOutboxSql = (schema: string) => `SELECT pg_notify('${outboxChannel(schema)}', '')`;
