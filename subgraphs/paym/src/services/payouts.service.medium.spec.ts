import { randomUUID } from 'node:crypto';
import type { Identity } from '../../../../kernel/identity';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectPaymDb, type PaymDb } from '../data/db';
import { PayoutsService } from './payouts.service';

describe('PayoutsService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PaymDb;
  let payouts: PayoutsService;
  const owner = randomUUID();
  const channelId = randomUUID();
  const otherChannelId = randomUUID();
  const session = (userId: string): Identity => ({ kind: 'session', userId, emailVerified: true, requestId: 'r' });
  const staff = (permissions: string[], mfaAgoSeconds = 0): Identity => ({
    kind: 'staff',
    userId: randomUUID(),
    permissions,
    mfaAt: Math.floor(Date.now() / 1000) - mfaAgoSeconds,
    requestId: 'r',
  });

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectPaymDb(database.url, 4);
    payouts = new PayoutsService(db.prisma, 900);
    await db.prisma.channelOwner.createMany({
      data: [
        { channelId, ownerId: owner },
        { channelId: otherChannelId, ownerId: randomUUID() },
      ],
    });
    // Three payouts of the channel a millisecond apart, and one of another channel.
    const base = Date.parse('2026-11-01T00:00:00Z');
    const rows = [
      { channelId, state: 'paid', stripeTransferId: 'tr_1', at: base },
      { channelId, state: 'failed', failure: 'No such destination', at: base + 1 },
      { channelId, state: 'pending', at: base + 2 },
      { channelId: otherChannelId, state: 'paid', stripeTransferId: 'tr_2', at: base + 3 },
    ];
    for (const { at, ...row } of rows) {
      await db.prisma.payout.create({
        data: { id: randomUUID(), amount: 5000, currency: 'usd', stripeAccountId: 'acct_1', createdAt: new Date(at), ...row },
      });
    }
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("should name and replace the channel's Stripe Connect account, its broadcaster only", async () => {
    const named = await payouts.setAccount(session(owner), channelId, 'acct_1Abc');
    expect(named).toMatchObject({ channelId, stripeAccountId: 'acct_1Abc' });
    const again = await payouts.setAccount(session(owner), channelId, 'acct_1Abc');
    expect(again.updatedAt.getTime()).toBeGreaterThanOrEqual(named.updatedAt.getTime());
    await payouts.setAccount(session(owner), channelId, 'acct_2Def');
    expect(await db.prisma.payoutAccount.findMany({ where: { channelId } })).toEqual([
      expect.objectContaining({ stripeAccountId: 'acct_2Def' }),
    ]);

    await expect(payouts.setAccount(session(randomUUID()), channelId, 'acct_evil')).rejects.toMatchObject({
      code: 'PAYM_NOT_BROADCASTER',
    });
    await expect(payouts.setAccount({ kind: 'anonymous', requestId: 'r' }, channelId, 'acct_evil')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(payouts.setAccount(session(owner), randomUUID(), 'acct_1')).rejects.toMatchObject({ code: 'PAYM_CHANNEL_NOT_FOUND' });
    await expect(payouts.setAccount(session(owner), 'not-a-uuid', 'acct_1')).rejects.toMatchObject({ code: 'PAYM_CHANNEL_NOT_FOUND' });
    for (const bad of ['acct_', 'ba_123', 'acct_12-3', `acct_${'a'.repeat(65)}`]) {
      await expect(payouts.setAccount(session(owner), channelId, bad)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await db.prisma.payoutAccount.findUnique({ where: { channelId } })).toMatchObject({ stripeAccountId: 'acct_2Def' });
  });

  it("should page a channel's payouts newest first to its broadcaster, and to nobody else", async () => {
    const first = await payouts.ofChannel(session(owner), channelId, 2);
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((p) => p.state)).toEqual(['pending', 'failed']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await payouts.ofChannel(session(owner), channelId, 2, first.pageInfo.endCursor);
    expect(second.nodes.map((p) => p.stripeTransferId)).toEqual(['tr_1']);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: null });

    await expect(payouts.ofChannel(session(randomUUID()), channelId)).rejects.toMatchObject({ code: 'PAYM_NOT_BROADCASTER' });
    await expect(payouts.ofChannel(staff(['payments:read']), channelId)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(payouts.ofChannel(session(owner), channelId, 2, 'garbage')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('should list every payout to finance staff holding payments:read with a fresh second factor', async () => {
    const finance = staff(['payments:read']);
    const all = await payouts.list(finance, {});
    expect(all.totalCount).toBeGreaterThanOrEqual(4);
    expect(all.nodes.slice(0, 4).map((p) => p.stripeTransferId ?? p.state)).toEqual(['tr_2', 'pending', 'failed', 'tr_1']);
    expect((await payouts.list(finance, { channelId, state: 'paid' })).nodes.map((p) => p.stripeTransferId)).toEqual(['tr_1']);
    expect((await payouts.list(finance, { channelId: otherChannelId })).totalCount).toBe(1);

    await expect(payouts.list(finance, { channelId: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(payouts.list(staff(['users:read', 'audit:read']), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(payouts.list(staff(['payments:read'], 3600), {})).rejects.toMatchObject({ code: 'STAFF_MFA_REQUIRED' });
    await expect(payouts.list(session(owner), {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
