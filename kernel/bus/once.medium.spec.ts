import { randomUUID } from 'node:crypto';
import { connectChnlDb, type ChnlDb } from '../../subgraphs/chnl/src/data/db';
import { createScratchDatabase } from '../../test/support/database';
import { Prisma } from '../../subgraphs/chnl/src/data/prisma/client';
import { oncePerEvent, oncePerEventSql } from './once';

let db: ChnlDb;
let drop: () => Promise<void>;

beforeAll(async () => {
  const database = await createScratchDatabase();
  drop = database.drop;
  db = connectChnlDb(database.url, 4);
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

/** Against a real PostgreSQL, through the channel domain's client and its `processed_event` table. */
describe(oncePerEvent.name, () => {
  /** The effect under test: one channel titled `marker` per run, so the table counts the runs. */
  const effect = (marker: string) => async (tx: Parameters<Parameters<ChnlDb['prisma']['$transaction']>[0]>[0]) => {
    await tx.channel.create({ data: { id: randomUUID(), ownerId: randomUUID(), title: marker } });
    return 'applied' as const;
  };
  const runs = (marker: string) => db.prisma.channel.count({ where: { title: marker } });

  it('should run the effect for the first delivery of an event and answer duplicate to the next ones', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    expect(await oncePerEvent(db.prisma, 'group-a', eventId, effect(marker))).toBe('applied');
    expect(await oncePerEvent(db.prisma, 'group-a', eventId, effect(marker))).toBe('duplicate');

    expect(await runs(marker)).toBe(1);
  });

  it('should run the effect once per consumer group', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    await oncePerEvent(db.prisma, 'group-a', eventId, effect(marker));
    expect(await oncePerEvent(db.prisma, 'group-b', eventId, effect(marker))).toBe('applied');

    expect(await runs(marker)).toBe(2);
  });

  it('should run the effect once when the same event is delivered twice at the same time', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    const outcomes = await Promise.all([1, 2].map(() => oncePerEvent(db.prisma, 'group-a', eventId, effect(marker))));

    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    expect(await runs(marker)).toBe(1);
  });

  it('should remember nothing of an effect that failed, so the retry runs it', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    await expect(
      oncePerEvent(db.prisma, 'group-a', eventId, async (tx) => {
        await effect(marker)(tx);
        throw new Error('the effect failed');
      }),
    ).rejects.toThrow('the effect failed');
    expect(await runs(marker)).toBe(0);

    expect(await oncePerEvent(db.prisma, 'group-a', eventId, effect(marker))).toBe('applied');
    expect(await runs(marker)).toBe(1);
  });
});

/** The one-statement form: the mark and the effect in one statement, through the same table. */
describe(oncePerEventSql.name, () => {
  /** One channel titled `marker` per first delivery, so the table counts the effects. */
  const effect = (marker: string) => Prisma.sql`
    INSERT INTO channel (id, owner_id, title, updated_at) SELECT gen_random_uuid(), gen_random_uuid(), ${marker}, now() FROM first_delivery
    RETURNING 1`;
  const deliver = (group: string, eventId: string, marker: string) => oncePerEventSql(db.prisma, group, eventId, effect(marker));
  const runs = (marker: string) => db.prisma.channel.count({ where: { title: marker } });

  it('should apply the effect on the first delivery of an event, once per group, and answer duplicate to the next ones', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    expect(await deliver('group-a', eventId, marker)).toBe(1);
    expect(await deliver('group-a', eventId, marker)).toBe('duplicate');
    expect(await deliver('group-b', eventId, marker)).toBe(1);

    expect(await runs(marker)).toBe(2);
  });

  it('should apply the effect once when the same event is delivered twice at the same time', async () => {
    const marker = randomUUID();
    const eventId = randomUUID();

    const outcomes = await Promise.all([1, 2].map(() => deliver('group-a', eventId, marker)));

    expect(outcomes.map(String).sort()).toEqual(['1', 'duplicate']);
    expect(await runs(marker)).toBe(1);
  });

  it('should count a first delivery whose effect wrote nothing, and remember nothing of a statement that failed', async () => {
    const eventId = randomUUID();
    const failing = Prisma.sql`INSERT INTO channel (id, owner_id, title) SELECT gen_random_uuid(), gen_random_uuid(), 'x' FROM first_delivery RETURNING 1`;

    await expect(oncePerEventSql(db.prisma, 'group-a', eventId, failing)).rejects.toThrow();
    expect(await oncePerEventSql(db.prisma, 'group-a', eventId, Prisma.sql`SELECT 1 FROM first_delivery WHERE false`)).toBe(0);
    expect(await oncePerEventSql(db.prisma, 'group-a', eventId, Prisma.sql`SELECT 1 FROM first_delivery`)).toBe('duplicate');
  });
});
