import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectPaymDb, type PaymDb } from '../data/db';
import { RenewalsService } from './renewals.service';

describe('RenewalsService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PaymDb;

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectPaymDb(database.url, 4);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const entitlement = (state: string, periodEnd: Date) =>
    db.prisma.entitlement.create({
      data: {
        id: randomUUID(),
        userId: randomUUID(),
        channelId: randomUUID(),
        tier: 1,
        store: 'stripe',
        storeSubscriptionId: `sub_${randomUUID()}`,
        state,
        periodEnd,
        startedAt: new Date(periodEnd.getTime() - 30 * 86_400_000),
        lastEventAt: new Date(periodEnd.getTime() - 30 * 86_400_000),
      },
    });

  it('should expire what no store renewed past the slack, once, without advancing the store clock', async () => {
    const now = new Date('2026-11-27T12:00:00Z');
    const overdue = await entitlement('grace', new Date(now.getTime() - 2 * 3600_000));
    const withinSlack = await entitlement('active', new Date(now.getTime() - 1800_000));
    const alreadyEnded = await entitlement('refunded', new Date(now.getTime() - 86_400_000));
    const renewals = new RenewalsService(db.prisma, 3600);

    expect(await renewals.sweep(now)).toBe(1);
    expect(await renewals.sweep(now)).toBe(0);
    const states = await db.prisma.entitlement.findMany({ where: { id: { in: [overdue.id, withinSlack.id, alreadyEnded.id] } } });
    const byId = new Map(states.map((e) => [e.id, e]));
    expect(byId.get(overdue.id)).toMatchObject({ state: 'expired', endReason: 'expired', endedAt: now, lastEventAt: overdue.lastEventAt });
    expect(byId.get(withinSlack.id)?.state).toBe('active');
    expect(byId.get(alreadyEnded.id)?.state).toBe('refunded');
    const events = await db.prisma.outboxEvent.findMany({ where: { topic: 'paym.subscription.ended.v1', key: overdue.channelId } });
    expect(events.map((e) => (e.payload as { data: { reason: string; at: string } }).data)).toEqual([
      expect.objectContaining({ reason: 'expired', at: overdue.periodEnd?.toISOString() }),
    ]);
  });

  it('should leave the sweep to the instance holding it', async () => {
    const now = new Date();
    await entitlement('active', new Date(now.getTime() - 7 * 86_400_000));
    const renewals = new RenewalsService(db.prisma, 0);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [0x7061796d]);
      expect(await renewals.sweep(now)).toBeNull();
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    expect(await renewals.sweep(now)).toBeGreaterThanOrEqual(1);
  });
});
