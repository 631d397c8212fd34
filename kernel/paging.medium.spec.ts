import { randomUUID } from 'node:crypto';
import { connectChnlDb, type ChnlDb } from '../subgraphs/chnl/src/data/db';
import { createScratchDatabase } from '../test/support/database';
import { decodeCursor, rowsAfter, toPage } from './paging';

/** Against a real PostgreSQL, on the channel domain's follows: ties on the time are where keyset paging goes wrong. */
describe('keyset paging over PostgreSQL', () => {
  let db: ChnlDb;
  let drop: () => Promise<void>;
  const channelId = randomUUID();
  const at = new Date('2026-01-01T00:00:00.000Z');
  const followers = Array.from({ length: 7 }, () => randomUUID());

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectChnlDb(database.url, 2);
    await db.prisma.channel.create({ data: { id: channelId, ownerId: randomUUID() } });
    // Five follows in one millisecond, between an older and a newer one.
    await db.prisma.follow.createMany({
      data: followers.map((userId, i) => ({ channelId, userId, createdAt: new Date(at.getTime() + (i === 0 ? -1 : i === 6 ? 1 : 0)) })),
    });
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it.each(['asc', 'desc'] as const)('should list every row once, in order, with ids %s within one time', async (idOrder) => {
    const all = await db.prisma.follow.findMany({ where: { channelId }, orderBy: [{ createdAt: 'desc' }, { userId: idOrder }] });
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const cursor = decodeCursor(after, 'after');
      const rows = await db.prisma.follow.findMany({
        where: { channelId, ...(cursor && rowsAfter(cursor, 'createdAt', 'userId', idOrder)) },
        orderBy: [{ createdAt: 'desc' }, { userId: idOrder }],
        take: 3,
      });
      const page = toPage(rows, 2, all.length, (f) => ({ at: f.createdAt, id: f.userId }));
      seen.push(...page.nodes.map((f) => f.userId));
      after = page.pageInfo.endCursor;
    } while (after);

    expect(seen).toEqual(all.map((f) => f.userId));
  });
});
