import { makeEvent, type EventData, type EventOf, type Topic } from '../events';
import { outboxChannel } from './relay';
import { traceHeaders } from '../tracing';

/** What a write's transaction needs to record an event beside its rows: the domain's `outbox` table and raw SQL. */
export interface OutboxTx {
  outboxEvent: {
    create(args: { data: { id: string; topic: string; key: string; payload: object; headers?: object } }): PromiseLike<unknown>;
  };
  $executeRawUnsafe(query: string): PromiseLike<number>;
}

/** The topics a domain publishes: `{domain}.{entity}.{event}.v{N}`, the domain being its schema's name. */
export type DomainTopic<D extends string> = Extract<Topic, `${D}.${string}`>;

/** Records one of a domain's events in the caller's transaction; what `outboxOf` hands each domain. */
export type RecordEvent<D extends string> = <T extends DomainTopic<D>>(
  tx: OutboxTx,
  topic: T,
  key: string,
  data: EventData<T>,
) => Promise<EventOf<T>>;

/**
 * The outbox writer of the domain whose PostgreSQL schema is `schema`: it checks the event against its topic's
 * contract and writes it in the same transaction as the change it describes, so a rolled-back write publishes
 * nothing; the relay publishes it after the commit. The key picks the partition: all events of one key stay in
 * order. The NOTIFY wakes the domain's relay, and PostgreSQL delivers it only on commit.
 */
export function outboxOf<D extends string>(schema: D): RecordEvent<D> {
  const notify = `SELECT pg_notify('${outboxChannel(schema)}', '')`;
  return async (tx, topic, key, data) => {
    const event = makeEvent(topic, data);
    // The trace goes on with the worker that consumes the event (kernel/tracing.ts).
    await tx.outboxEvent.create({ data: { id: event.id, topic, key, payload: event as object, headers: traceHeaders() } });
    await tx.$executeRawUnsafe(notify);
    return event;
  };
}
