import { randomUUID } from 'node:crypto';
import { connectChnlDb, type ChnlDb } from '../../subgraphs/chnl/src/data/db';
import { createScratchDatabase } from '../../test/support/database';
import { oncePerEvent } from './once';

/** Against a real PostgreSQL, through the channel domain's client and its `processed_event` table. */
describe(oncePerEvent.name, () => {
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
