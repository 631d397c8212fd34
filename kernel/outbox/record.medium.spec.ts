import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectChnlDb, type ChnlDb } from '../../subgraphs/chnl/src/data/db';
import { createScratchDatabase } from '../../test/support/database';
import { ContractViolation } from '../events';
import { outboxBatchOf, outboxOf } from './record';
import { outboxChannel } from './relay';

/** Against a real PostgreSQL, through the channel domain's client: any domain's outbox table has the same shape. */
describe(outboxOf.name, () => {
  const recordEvent = outboxOf('chnl');
  let db: ChnlDb;
  let drop: () => Promise<void>;
  let listener: Client;
  const notified: string[] = [];

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectChnlDb(database.url, 2);
    listener = new Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query(`LISTEN "${outboxChannel('chnl')}"`);
  });

  afterAll(async () => {
    await listener?.end();
    await db?.close();
    await drop?.();
  });

  beforeEach(() => {
    notified.length = 0;
  });

  const data = (channelId: string) => ({ channelId, ownerId: randomUUID(), createdAt: new Date().toISOString() });
  /** A round trip on the listening connection: a NOTIFY committed before it has been delivered by the time it answers. */
  const settled = () => listener.query('SELECT 1');

  it('should write the event in the transaction, keyed, and wake the relay once it commits', async () => {
    const channelId = randomUUID();

    const event = await db.prisma.$transaction((tx) => recordEvent(tx, 'chnl.channel.created.v1', channelId, data(channelId)));
    await settled();

    const row = await db.prisma.outboxEvent.findUniqueOrThrow({ where: { id: event.id } });
    expect(row).toMatchObject({ topic: 'chnl.channel.created.v1', key: channelId, payload: event, publishedAt: null });
    expect(event).toMatchObject({ type: 'chnl.channel.created.v1', data: { channelId } });
    expect(notified).toEqual([outboxChannel('chnl')]);
  });

  it('should leave neither a row nor a notification when the transaction rolls back', async () => {
    const channelId = randomUUID();

    await expect(
      db.prisma.$transaction(async (tx) => {
        await recordEvent(tx, 'chnl.channel.created.v1', channelId, data(channelId));
        throw new Error('the write failed');
      }),
    ).rejects.toThrow('the write failed');
    await settled();

    expect(await db.prisma.outboxEvent.count({ where: { key: channelId } })).toBe(0);
    expect(notified).toEqual([]);
  });

  it('should refuse an event that breaks its contract before writing anything', async () => {
    const channelId = randomUUID();

    await expect(
      db.prisma.$transaction((tx) => recordEvent(tx, 'chnl.channel.created.v1', channelId, { ...data(channelId), ownerId: 'not-a-uuid' })),
    ).rejects.toBeInstanceOf(ContractViolation);

    expect(await db.prisma.outboxEvent.count({ where: { key: channelId } })).toBe(0);
  });
});

describe(outboxBatchOf.name, () => {
  const recordEvents = outboxBatchOf('chnl');
  let db: ChnlDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectChnlDb(database.url, 2);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('should write a batch of events in the order given, each with its own trace headers, which the relay publishes in that order', async () => {
    const key = randomUUID();
    const pending = Array.from({ length: 20 }, (_, i) => ({
      topic: 'chnl.channel.created.v1' as const,
      key,
      data: { channelId: randomUUID(), ownerId: randomUUID(), createdAt: new Date().toISOString() },
      headers: { traceparent: `trace-${i}` },
    }));

    const events = await db.prisma.$transaction((tx) => recordEvents(tx, pending));

    const rows = await db.prisma.outboxEvent.findMany({ where: { key }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(rows.map((r) => (r.payload as { data: { channelId: string } }).data.channelId)).toEqual(pending.map((p) => p.data.channelId));
    expect(rows.map((r) => r.headers)).toEqual(pending.map((p) => p.headers));
  });

  it('should refuse a batch holding an event that breaks its contract, writing none of it', async () => {
    const key = randomUUID();
    const good = { channelId: randomUUID(), ownerId: randomUUID(), createdAt: new Date().toISOString() };

    await expect(
      db.prisma.$transaction((tx) =>
        recordEvents(tx, [
          { topic: 'chnl.channel.created.v1', key, data: good, headers: {} },
          { topic: 'chnl.channel.created.v1', key, data: { ...good, ownerId: 'not-a-uuid' }, headers: {} },
        ]),
      ),
    ).rejects.toBeInstanceOf(ContractViolation);

    expect(await db.prisma.outboxEvent.count({ where: { key } })).toBe(0);
  });
});
