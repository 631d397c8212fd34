import { randomUUID } from 'node:crypto';
import { escapeIdentifier, Pool } from 'pg';
import pino from 'pino';
import { createMemoryBus } from '../../kernel/bus/memory';
import type { EventBus, IncomingMessage } from '../../kernel/bus/port';
import { dropDatabase, ensureDatabase, withDatabase } from '../../kernel/db/admin';
import { createOutboxRelay, outboxChannel, type OutboxRelay, type OutboxRelayOptions } from '../../kernel/outbox/relay';
import { eventually } from '../support/eventually';

// A database of its own on the test server: the one TEST_DATABASE_URL names is the template other test files copy,
// which fails while any session (this file's pool) is connected to it.
const databaseUrl = withDatabase(
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  `outbox_relay_${randomUUID().slice(0, 8)}`,
);
const schema = `outbox_test_${randomUUID().slice(0, 8)}`;
const table = `${escapeIdentifier(schema)}."outbox"`;
const CREATED = 'user.account.created.v1';
const RENAMED = 'user.account.renamed.v1';
const logger = pino({ level: 'silent' });

let pool: Pool;
const poolErrors: Error[] = [];
let memory: EventBus;
/** Records what the relay hands to the bus, in that order: the bus itself keeps order only per key. */
let bus: EventBus;
let published: { topic: string; id: string }[];
let received: IncomingMessage[];
let relays: OutboxRelay[];

beforeAll(async () => {
  await ensureDatabase(databaseUrl);
  pool = new Pool({ connectionString: databaseUrl, max: 8 });
  // The LISTEN test kills a backend on purpose; if the connection is idle in the pool by then (the relay re-listens
  // on another), the pool reports its end here. Anything but that kill fails the file below.
  pool.on('error', (error) => poolErrors.push(error));
  await pool.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
  await pool.query(`
    CREATE TABLE ${table} (
      id uuid PRIMARY KEY,
      topic text NOT NULL,
      key text NOT NULL,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz NULL
    )`);
  await pool.query(`CREATE INDEX ON ${table} (created_at) WHERE published_at IS NULL`);
});

afterAll(async () => {
  expect(poolErrors.filter((error) => (error as { code?: string }).code !== '57P01')).toEqual([]);
  await pool?.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(schema)} CASCADE`);
  await pool?.end();
  await dropDatabase(databaseUrl);
});

beforeEach(async () => {
  await pool.query(`TRUNCATE ${table}`);
  memory = createMemoryBus();
  published = [];
  bus = {
    ...memory,
    publish: async (topic, messages) => {
      await memory.publish(topic, messages);
      published.push(...messages.map((m) => ({ topic, id: m.headers?.['x-event-id'] ?? '' })));
    },
  };
  received = [];
  relays = [];
  await memory.subscribe({
    groupId: 'reader',
    topics: [CREATED, RENAMED],
    fromBeginning: true,
    handle: async (message) => void received.push(message),
  });
});

afterEach(async () => {
  await Promise.all(relays.map((relay) => relay.stop()));
  await memory.close();
});

const relayWith = (options: Partial<OutboxRelayOptions> = {}): OutboxRelay => {
  const relay = createOutboxRelay({ pool, schema, bus, logger, ...options });
  relays.push(relay);
  return relay;
};

interface Written {
  id: string;
  topic: string;
  key: string;
  payload: { n: number; login: string };
}

/** Writes outbox rows the way a domain does: in the writer's transaction, with the NOTIFY that wakes the relay. */
async function write(events: { topic: string; key: string; n: number }[], outcome: 'commit' | 'rollback' = 'commit'): Promise<Written[]> {
  const connection = await pool.connect();
  try {
    await connection.query('BEGIN');
    const written: Written[] = [];
    for (const { topic, key, n } of events) {
      const row = { id: randomUUID(), topic, key, payload: { n, login: `user_${n}` } };
      await connection.query(`INSERT INTO ${table} (id, topic, key, payload, headers) VALUES ($1, $2, $3, $4, $5)`, [
        row.id,
        row.topic,
        row.key,
        row.payload,
        { 'x-trace-id': `trace-${n}` },
      ]);
      written.push(row);
    }
    await connection.query(`SELECT pg_notify($1, '')`, [outboxChannel(schema)]);
    await connection.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
    return written;
  } finally {
    connection.release();
  }
}

/** One transaction per event, so that each row has its own created_at and the order is defined. */
async function writeEach(events: { topic: string; key: string; n: number }[]): Promise<Written[]> {
  const written: Written[] = [];
  for (const event of events) {
    written.push(...(await write([event])));
  }
  return written;
}

/**
 * End of stream: one row written after the others. One relay holds a schema at a time and publishes oldest first,
 * so once the marker is published and marked so, everything before it has been (a second copy included), and once
 * the reader has every published message the test can assert on what arrived. The marker is taken out of both
 * records; its row stays, published.
 */
async function drain(timeoutMs = 10_000): Promise<void> {
  const [marker] = await write([{ topic: CREATED, key: 'end', n: -1 }]);
  const markedPublished = async (): Promise<boolean> =>
    (await pool.query(`SELECT 1 FROM ${table} WHERE id = $1 AND published_at IS NOT NULL`, [marker.id])).rowCount === 1;
  await eventually(
    async () => published.some((p) => p.id === marker.id) && received.length >= published.length && (await markedPublished()),
    timeoutMs,
    'the end marker',
  );
  published.splice(0, published.length, ...published.filter((p) => p.id !== marker.id));
  received.splice(0, received.length, ...received.filter((m) => m.headers['x-event-id'] !== marker.id));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const unpublished = async (): Promise<number> =>
  Number((await pool.query(`SELECT count(*) FROM ${table} WHERE published_at IS NULL`)).rows[0].count);

const events = (count: number, from = 0): { topic: string; key: string; n: number }[] =>
  Array.from({ length: count }, (_, i) => ({
    topic: i % 3 === 2 ? RENAMED : CREATED,
    key: `user-${(from + i) % 2}`,
    n: from + i,
  }));

describe('outbox relay', () => {
  it('publishes committed rows once, in order, woken by NOTIFY long before the next poll', async () => {
    const relay = relayWith({ pollMs: 60_000 });
    await relay.start();
    const written = await writeEach(events(6));

    await drain(5_000);

    expect(received).toHaveLength(written.length);
    for (const topic of [CREATED, RENAMED]) {
      expect(published.filter((p) => p.topic === topic).map((p) => p.id)).toEqual(
        written.filter((w) => w.topic === topic).map((w) => w.id),
      );
    }
    const first = received.find((m) => m.headers['x-event-id'] === written[0].id);
    expect(first).toMatchObject({ topic: CREATED, key: 'user-0', headers: { 'x-trace-id': 'trace-0' } });
    expect(JSON.parse(first?.value ?? '')).toEqual(written[0].payload);
    expect(await unpublished()).toBe(0);
    expect(await relay.flush()).toBe(0);
  });

  it('never publishes a rolled-back insert', async () => {
    const relay = relayWith({ pollMs: 50 });
    await relay.start();
    await write([{ topic: CREATED, key: 'user-9', n: 9 }], 'rollback');
    const [kept] = await write([{ topic: CREATED, key: 'user-10', n: 10 }]);

    await drain();

    expect(received.map((m) => m.headers['x-event-id'])).toEqual([kept.id]);
    expect(Number((await pool.query(`SELECT count(*) FROM ${table} WHERE key <> 'end'`)).rows[0].count)).toBe(1);
  });

  it('leaves the rows for the next tick when the bus fails, then publishes them once', async () => {
    let failuresLeft = 2;
    const failing: EventBus = {
      ...bus,
      publish: async (topic, messages) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('broker unavailable');
        }
        return bus.publish(topic, messages);
      },
    };
    const relay = relayWith({ bus: failing, pollMs: 50 });
    const written = await writeEach(events(3));

    await expect(relay.flush()).rejects.toThrow('broker unavailable');
    expect(await unpublished()).toBe(3);

    await relay.start();
    await drain();

    expect(failuresLeft).toBe(0);
    expect(received.map((m) => m.headers['x-event-id']).sort()).toEqual(written.map((w) => w.id).sort());
    expect(await unpublished()).toBe(0);
  });

  it('flush() publishes everything pending, batch after batch, oldest first', async () => {
    const relay = relayWith({ batchSize: 4 });
    const written = await writeEach(events(10).map((e) => ({ ...e, topic: CREATED })));

    expect(await relay.flush()).toBe(10);

    expect(published.map((p) => p.id)).toEqual(written.map((w) => w.id));
    expect(await relay.flush()).toBe(0);
  });

  it('publishes each row once and in order when two relays serve one schema', async () => {
    const jittery: EventBus = {
      ...bus,
      publish: async (topic, messages) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        return bus.publish(topic, messages);
      },
    };
    const written = await writeEach(events(30).map((e) => ({ ...e, topic: CREATED })));
    const pair = [1, 2].map(() => relayWith({ bus: jittery, pollMs: 10, batchSize: 3 }));
    await Promise.all(pair.map((relay) => relay.start()));

    await drain();

    expect(received).toHaveLength(written.length);
    expect(published.map((p) => p.id)).toEqual(written.map((w) => w.id));
  });

  it('keeps publishing when its LISTEN connection is killed, and listens again', async () => {
    const relay = relayWith({ pollMs: 100 });
    await relay.start();
    const listeners = async (): Promise<number[]> =>
      (
        await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)
      ).rows.map((row) => row.pid);
    const [killed] = await listeners();
    await pool.query('SELECT pg_terminate_backend($1)', [killed]);

    const [written] = await write([{ topic: CREATED, key: 'user-1', n: 1 }]);
    await eventually(() => received.length >= 1);
    await eventually(async () => {
      const pids = await listeners();
      return pids.length === 1 && pids[0] !== killed;
    });

    expect(received.map((m) => m.headers['x-event-id'])).toEqual([written.id]);
  });

  it('stop() lets the batch in hand finish and publishes nothing afterwards', async () => {
    let publishing = false;
    let release: () => void = () => undefined;
    const slow: EventBus = {
      ...bus,
      publish: async (topic, messages) => {
        publishing = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return bus.publish(topic, messages);
      },
    };
    const relay = relayWith({ bus: slow, pollMs: 20 });
    await relay.start();
    const [first] = await write([{ topic: CREATED, key: 'user-1', n: 1 }]);
    await eventually(() => publishing);

    const stopping = relay.stop();
    // Time for stop() to go on without the batch in hand, as it would if it did not wait for it.
    await pause(100);
    release();
    await stopping;
    const [second] = await write([{ topic: CREATED, key: 'user-2', n: 2 }]);
    // The row written after stop() is the next relay's to publish, the end marker of the stopped one: woken by the
    // same NOTIFY and already listening, a relay still running would take it first (and hold it, as its bus blocks).
    const handedOver: string[] = [];
    const next = relayWith({
      pollMs: 20,
      bus: {
        ...memory,
        publish: async (_topic, messages) => void handedOver.push(...messages.map((m) => m.headers?.['x-event-id'] ?? '')),
      },
    });
    await next.start();
    await eventually(() => handedOver.includes(second.id), 5_000, 'the next relay publishing the row');

    expect(handedOver).toEqual([second.id]);
    expect(published.map((p) => p.id)).toEqual([first.id]);
    expect(received.map((m) => m.headers['x-event-id'])).toEqual([first.id]);
  });
});
