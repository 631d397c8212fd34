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

/** What a transaction needs to record several events at once: one multi-row insert and one NOTIFY. */
export interface OutboxBatchTx {
  outboxEvent: {
    createMany(args: { data: { id: string; topic: string; key: string; payload: object; headers?: object }[] }): PromiseLike<unknown>;
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

/** One event of a batch recorded by `outboxBatchOf`. */
export interface PendingEvent<D extends string> {
  topic: DomainTopic<D>;
  key: string;
  data: EventData<DomainTopic<D>>;
  /** The trace of the request that made the change, taken where it was made (`traceHeaders()`). */
  headers: Record<string, string>;
}

/**
 * The batch form of `outboxOf`, for writers that commit many changes in one transaction (group commit): the events
 * go in with one multi-row insert, in the order given, and one NOTIFY wakes the relay. Each row's `created_at` is
 * `clock_timestamp()`, taken row by row as PostgreSQL inserts them, so the relay publishes them in the order given.
 */
export function outboxBatchOf<D extends string>(schema: D) {
  const notify = `SELECT pg_notify('${outboxChannel(schema)}', '')`;
  return async (tx: OutboxBatchTx, pending: PendingEvent<D>[]): Promise<EventOf<DomainTopic<D>>[]> => {
    if (pending.length === 0) return [];
    const events = pending.map(({ topic, data }) => makeEvent(topic, data));
    await tx.outboxEvent.createMany({
      data: events.map((event, i) => ({
        id: event.id,
        topic: pending[i].topic,
        key: pending[i].key,
        payload: event as object,
        headers: pending[i].headers,
      })),
    });
    await tx.$executeRawUnsafe(notify);
    return events;
  };
}
