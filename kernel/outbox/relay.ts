import { escapeIdentifier, escapeLiteral, type Pool, type PoolClient, type QueryResult } from 'pg';
import type { Logger } from 'pino';
import type { EventBus, OutgoingMessage } from '../bus/port';
import { watchOutbox } from '../metrics';

export interface OutboxRelayOptions {
  /** The relay keeps one of its connections for LISTEN while started, and takes another per batch. */
  pool: Pool;
  /** The domain's PostgreSQL schema, which holds its `outbox` table. */
  schema: string;
  bus: EventBus;
  batchSize?: number;
  /** The longest a committed row waits when its writer's NOTIFY was missed. */
  pollMs?: number;
  logger: Logger;
}

export interface OutboxRelay {
  /** Listens for the domain's notifications and starts publishing in the background. */
  start(): Promise<void>;
  /** Lets the batch in hand finish, then stops listening. */
  stop(): Promise<void>;
  /**
   * Publishes everything pending now; resolves with the number of rows this relay published (0 while another
   * process's relay holds the schema), rejects if the bus fails.
   */
  flush(): Promise<number>;
}

/** The channel a domain's writers notify (`SELECT pg_notify(outboxChannel(schema), '')`) in their transaction. */
export const outboxChannel = (schema: string): string => `outbox_${schema}`;

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, unknown> | null;
}

/** After repeated failures the relay waits longer between attempts, up to this. */
const MAX_FAILURE_DELAY_MS = 10_000;

/**
 * The transactional-outbox relay of one domain: publishes the rows its writers committed to
 * `"<schema>"."outbox"`, oldest first, and marks them published in the same transaction that locked them, so a
 * row is marked only once the bus has taken it. A failed publish rolls back and leaves the rows for the next
 * tick; a row can be published twice (the bus took it, then the commit failed), never lost, and consumers dedupe
 * on `x-event-id`.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, schema, bus } = options;
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 200;
  const logger = options.logger.child({ component: 'outbox-relay', schema });
  const table = `${escapeIdentifier(schema)}."outbox"`;
  const channel = outboxChannel(schema);

  let running = false;
  let loopDone: Promise<void> | undefined;
  let listener: { client: PoolClient; onError: (error: Error) => void } | undefined;
  let endNap: (() => void) | undefined;
  let napEndsOnNotify = false;
  let notified = false;
  let queue: Promise<unknown> = Promise.resolve();
  let unwatch = (): void => undefined;

  // One batch at a time in this process: two overlapping batches could publish newer rows before older ones.
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  };

  // A batch is two round trips to PostgreSQL where it was five (begin, lock, select, update, commit): each takes a
  // write and a wake-up on both sides, which on a loaded machine cost more than the statements. The advisory lock
  // is the select's one-time filter, taken before any row is read: one relay per schema at a time, across
  // processes (with SKIP LOCKED alone, a second relay would take the next rows and could publish them before the
  // first relay's older rows). The statements are the relay's own text, without parameters, so that each pair
  // goes as one simple query.
  const take = `BEGIN; SELECT id, topic, key, payload, headers FROM ${table}
    WHERE (SELECT pg_try_advisory_xact_lock(hashtext(${escapeLiteral(`outbox-relay:${schema}`)}))) AND published_at IS NULL
    ORDER BY created_at, id
    LIMIT ${Number(batchSize)}
    FOR UPDATE SKIP LOCKED`;
  const markPublished = (ids: string[]) =>
    `UPDATE ${table} SET published_at = now() WHERE id = ANY(${escapeLiteral(`{${ids.join(',')}}`)}::uuid[]); COMMIT`;

  const publishBatch = async (): Promise<number> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const [, { rows }] = (await client.query(take)) as unknown as [QueryResult, QueryResult<OutboxRow>];
      if (rows.length === 0) {
        await client.query('ROLLBACK');
        return 0;
      }
      for (const [topic, messages] of byTopic(rows)) {
        await bus.publish(topic, messages);
      }
      await client.query(markPublished(rows.map((row) => row.id)));
      logger.debug({ count: rows.length }, 'outbox rows published');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };

  const flush = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const published = await serially(publishBatch);
      total += published;
      if (published < batchSize) {
        return total;
      }
    }
  };

  const onNotification = (): void => {
    if (endNap && napEndsOnNotify) {
      endNap();
    } else {
      // A batch is running: rows committed after its SELECT need another batch right after it.
      notified = true;
    }
  };

  const listen = async (): Promise<void> => {
    const client = await pool.connect();
    const onError = (error: Error): void => {
      logger.warn({ err: error }, 'outbox listener connection lost; polling until it is back');
      client.off('notification', onNotification);
      if (listener?.client === client) {
        listener = undefined;
      }
      client.release(error);
    };
    client.on('error', onError);
    try {
      await client.query(`LISTEN ${escapeIdentifier(channel)}`);
    } catch (error) {
      client.off('error', onError);
      client.release(error as Error);
      throw error;
    }
    client.on('notification', onNotification);
    listener = { client, onError };
  };

  const unlisten = async (): Promise<void> => {
    if (!listener) {
      return;
    }
    const { client, onError } = listener;
    listener = undefined;
    client.off('notification', onNotification);
    let broken: Error | undefined;
    await client.query(`UNLISTEN ${escapeIdentifier(channel)}`).catch((error: Error) => {
      broken = error;
    });
    client.off('error', onError);
    client.release(broken);
  };

  const nap = (ms: number, endsOnNotify: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (endsOnNotify && notified) {
        resolve();
        return;
      }
      const end = (): void => {
        clearTimeout(timer);
        endNap = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      endNap = end;
      napEndsOnNotify = endsOnNotify;
    });

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (running) {
      if (!listener) {
        await listen().catch((error: unknown) => logger.warn({ err: error }, 'cannot LISTEN for outbox notifications; polling only'));
      }
      notified = false;
      let published = 0;
      try {
        published = await serially(publishBatch);
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.warn({ err: error, failures }, 'outbox batch not published; its rows stay for the next attempt');
      }
      if (!running) {
        return;
      }
      if (published === batchSize) {
        continue;
      }
      // While the bus fails, writers' notifications must not turn the backoff into a retry per write.
      const delayMs = failures === 0 ? pollMs : Math.min(pollMs * 2 ** (failures - 1), Math.max(pollMs, MAX_FAILURE_DELAY_MS));
      await nap(delayMs, failures === 0);
    }
  };

  return {
    async start(): Promise<void> {
      if (running) {
        return;
      }
      await listen();
      running = true;
      loopDone = loop();
      unwatch = watchOutbox(schema, pool);
      logger.info('outbox relay started');
    },
    async stop(): Promise<void> {
      if (!running) {
        return;
      }
      running = false;
      unwatch();
      endNap?.();
      await loopDone;
      await unlisten();
      logger.info('outbox relay stopped');
    },
    flush,
  };
}

function byTopic(rows: OutboxRow[]): Map<string, OutgoingMessage[]> {
  const grouped = new Map<string, OutgoingMessage[]>();
  for (const row of rows) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(row.headers ?? {})) {
      headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    headers['x-event-id'] = row.id;
    const messages = grouped.get(row.topic) ?? [];
    messages.push({ key: row.key, value: JSON.stringify(row.payload), headers });
    grouped.set(row.topic, messages);
  }
  return grouped;
}
