import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectChnlDb, type ChnlDb } from '../../subgraphs/chnl/src/data/db';
import { createScratchDatabase } from '../../test/support/database';
import { ContractViolation, makeEvent } from '../events';
import { outboxOf, outboxRowSql } from './record';
import { outboxChannel } from './relay';

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

beforeEach(() => {
  notified.length = 0;
});

afterAll(async () => {
  await listener?.end();
  await db?.close();
  await drop?.();
});

/** Against a real PostgreSQL, through the channel domain's client: any domain's outbox table has the same shape. */
describe(outboxOf.name, () => {
  const recordEvent = outboxOf('chnl');

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

/** The one-statement form, through the same client and table. */
describe(outboxRowSql.name, () => {
  const created = (channelId: string) =>
    makeEvent('chnl.channel.created.v1', { channelId, ownerId: randomUUID(), createdAt: '2001-01-01T00:00:00.000Z' });

  it('should write the event with the instants of the row its statement wrote, and wake the relay', async () => {
    const channelId = randomUUID();
    const event = created(channelId);

    const [row] = await db.prisma.$queryRaw<{ at: Date }[]>`
      WITH written AS (SELECT TIMESTAMPTZ '2026-11-28 12:34:56.789+00' AS at), ${outboxRowSql('chnl', event, channelId, 'written', { createdAt: 'at' })}
      SELECT at FROM written`;
    await listener.query('SELECT 1');

    const stored = await db.prisma.outboxEvent.findUniqueOrThrow({ where: { id: event.id } });
    expect(stored).toMatchObject({ topic: 'chnl.channel.created.v1', key: channelId, publishedAt: null });
    expect(stored.payload).toEqual({ ...event, data: { ...event.data, createdAt: '2026-11-28T12:34:56.789Z' } });
    expect(row.at.toISOString()).toBe('2026-11-28T12:34:56.789Z');
    expect(notified).toEqual([outboxChannel('chnl')]);
  });

  it('should write nothing and wake nobody when the statement wrote no row', async () => {
    const channelId = randomUUID();

    await db.prisma.$queryRaw`
      WITH written AS (SELECT now() AS at WHERE false), ${outboxRowSql('chnl', created(channelId), channelId, 'written', { createdAt: 'at' })}
      SELECT count(*) FROM written`;
    await listener.query('SELECT 1');

    expect(await db.prisma.outboxEvent.count({ where: { key: channelId } })).toBe(0);
    expect(notified).toEqual([]);
  });
});
