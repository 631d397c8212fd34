import { sqltag as sql, type Sql } from '@prisma/client/runtime/client';

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

/**
 * The first-delivery mark of a consumer's one-statement effect, as the CTE `first_delivery`: one row when the group
 * handles the event for the first time, none when it comes again. The effect's CTEs write `FROM first_delivery`, so
 * a redelivery changes nothing, and the mark and the effect commit together, as in `oncePerEvent`.
 */
export const firstDeliverySql = (consumerGroup: string, eventId: string): Sql => sql`first_delivery AS (
  INSERT INTO processed_event (consumer_group, event_id) VALUES (${consumerGroup}, ${eventId}::uuid)
  ON CONFLICT DO NOTHING
  RETURNING 1
)`;
