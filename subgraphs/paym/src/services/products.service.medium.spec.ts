import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectPaymDb, type PaymDb } from '../data/db';
import { ProductsService } from './products.service';

/** The projection every new channel brings, against a real PostgreSQL. */
describe(ProductsService.name, () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PaymDb;
  let products: ProductsService;

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectPaymDb(database.url, 2);
    products = new ProductsService(db.prisma);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("should learn a channel's owner once, whatever the number of deliveries and groups", async () => {
    const channelId = randomUUID();
    const ownerId = randomUUID();
    const created = makeEvent('chnl.channel.created.v1', { channelId, ownerId, createdAt: new Date().toISOString() });

    expect(await products.channelCreated(created, 'spec')).toBe('created');
    expect(await products.channelCreated(created, 'spec')).toBe('duplicate');
    expect(await products.channelCreated(created, 'another-group')).toBe('duplicate');

    expect(await db.prisma.channelOwner.findMany({ where: { channelId } })).toEqual([{ channelId, ownerId }]);
  });
});
