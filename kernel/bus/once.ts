import { empty, join, sqltag as sql, type Sql } from '@prisma/client/runtime/client';

/** What a consumer's transaction needs to remember the events it handled: the domain's `processed_event` table. */
export interface ProcessedEventsTx {
  processedEvent: {
    createMany(args: { data: { consumerGroup: string; eventId: string }[]; skipDuplicates: true }): PromiseLike<{ count: number }>;
  };
}

/** A client that runs a function in one transaction (a domain's Prisma client). */
export interface Transactional<Tx> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
}

/**
 * Runs a consumer's effect once per event id and consumer group: the id is recorded in the same transaction as the
 * effect, so an event redelivered after a crash or a rebalance changes nothing twice, and an effect that fails
 * records nothing, so the retry runs it again.
 */
export async function oncePerEvent<Tx extends ProcessedEventsTx, R>(
  db: Transactional<Tx>,
  consumerGroup: string,
  eventId: string,
  effect: (tx: Tx) => Promise<R>,
): Promise<R | 'duplicate'> {
  return db.$transaction(async (tx) => {
    const first = await tx.processedEvent.createMany({ data: [{ consumerGroup, eventId }], skipDuplicates: true });
    return first.count === 0 ? 'duplicate' : effect(tx);
  });
}

/** A client that runs raw SQL (a domain's Prisma client). */
export interface RawQueries {
  $queryRaw<R>(query: Sql): PromiseLike<R>;
}

/**
 * `oncePerEvent` in one statement, for an effect that SQL can say: `effect` is the CTE `effect`, which must write
 * `FROM first_delivery` (one row on the group's first delivery of the event, none when it comes again) and return
 * a row per row it wrote; `more` are further CTEs that may read it (e.g. `outboxRowSql(..., 'effect')`). The mark,
 * the effect and the rest commit together or not at all, in one round trip where an interactive transaction takes
 * four or more, and without most of the client's work per query. Answers how many rows the effect wrote.
 */
export async function oncePerEventSql(
  db: RawQueries,
  consumerGroup: string,
  eventId: string,
  effect: Sql,
  ...more: Sql[]
): Promise<number | 'duplicate'> {
  const rest = more.length ? sql`, ${join(more, ', ')}` : empty;
  const [row] = await db.$queryRaw<{ first: boolean; written: number }[]>(sql`
    WITH first_delivery AS (
      INSERT INTO processed_event (consumer_group, event_id) VALUES (${consumerGroup}, ${eventId}::uuid)
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), effect AS (${effect})${rest}
    SELECT EXISTS (SELECT 1 FROM first_delivery) AS first, (SELECT count(*) FROM effect)::int AS written`);
  return row.first ? row.written : 'duplicate';
}
