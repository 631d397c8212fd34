import { raw, sqltag as sql, type Sql } from '@prisma/client/runtime/client';
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

/** An instant as the contracts write it (ISO 8601, UTC, milliseconds), computed by PostgreSQL. */
const isoInstant = (column: string): Sql => sql`to_char(${raw(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The outbox row of `event` as the CTE `outbox_row`, for a statement that writes a change and its event at once:
 * atomic as a transaction of the two, in one round trip where an interactive transaction takes several. The row is
 * written once per row of the statement's CTE `from`, so none when the change wrote nothing (a duplicate). The data
 * fields named in `instants` take the database's instant from that row's columns (e.g. `{ createdAt: 'created_at' }`):
 * the event's contract was checked with the client's clock standing in. PostgreSQL runs a data-modifying CTE whether
 * or not the statement reads it, and the row's RETURNING wakes the relay (a NOTIFY is delivered on commit).
 */
export function outboxRowSql<T extends Topic>(
  schema: string,
  event: EventOf<T>,
  key: string,
  from: string,
  instants: Partial<Record<keyof EventData<T> & string, string>> = {},
): Sql {
  let payload = sql`${JSON.stringify(event)}::jsonb`;
  for (const [field, column] of Object.entries(instants) as [string, string][]) {
    payload = sql`jsonb_set(${payload}, ${`{data,${field}}`}::text[], to_jsonb(${isoInstant(`${from}.${column}`)}))`;
  }
  return sql`outbox_row AS (
    INSERT INTO outbox (id, topic, key, payload, headers)
    SELECT ${event.id}::uuid, ${event.type}, ${key}, ${payload}, ${JSON.stringify(traceHeaders())}::jsonb FROM ${raw(from)}
    RETURNING pg_notify(${outboxChannel(schema)}, '')
  )`;
}
