import { randomUUID } from 'node:crypto';
import type { Identity } from '../../../../kernel/identity';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectPaymDb, type PaymDb } from '../data/db';
import { type FraudSignalKind, FraudService, recordFraudSignal } from './fraud.service';

/** Against a real PostgreSQL: fraud signals counted once per store event, and buyers flagged once. */
describe('FraudService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PaymDb;
  let fraud: FraudService;
  const policy = { signalThreshold: 3, refundRatePercent: 50 };
  const staff = (permissions: string[], mfaAgoSeconds = 0): Identity => ({
    kind: 'staff',
    userId: randomUUID(),
    permissions,
    mfaAt: Math.floor(Date.now() / 1000) - mfaAgoSeconds,
    requestId: 'r',
  });
  const signal = (userId: string, kind: FraudSignalKind, storeEventId: string) =>
    db.prisma.$transaction((tx) => recordFraudSignal(tx, policy, { userId, kind, store: 'stripe', storeEventId, occurredAt: new Date() }));
  const payments = (userId: string, paid: number, refunded: number) =>
    db.prisma.payment.createMany({
      data: Array.from({ length: paid }, (_, i) => ({
        id: randomUUID(),
        store: 'stripe',
        storePaymentId: `in_${randomUUID()}`,
        storeSubscriptionId: 'sub_1',
        userId,
        channelId: randomUUID(),
        amount: 499,
        currency: 'usd',
        paidAt: new Date(),
        refundedAt: i < refunded ? new Date() : null,
      })),
    });

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectPaymDb(database.url, 4);
    fraud = new FraudService(db.prisma, 900);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('should flag a buyer once, at the threshold, counting a redelivered event once', async () => {
    const buyer = randomUUID();
    await signal(buyer, 'early_fraud_warning', 'evt_1');
    await signal(buyer, 'dispute', 'evt_2');
    // The same store event delivered again is not a third signal.
    await signal(buyer, 'dispute', 'evt_2');
    expect(await db.prisma.buyerFlag.findUnique({ where: { userId: buyer } })).toBeNull();
    await signal(buyer, 'dispute', 'evt_3');
    await signal(buyer, 'refund', 'evt_4');
    expect(await db.prisma.fraudSignal.count({ where: { userId: buyer } })).toBe(4);
    expect(await db.prisma.buyerFlag.findMany({ where: { userId: buyer } })).toEqual([
      expect.objectContaining({ reason: 'signals', signals: 3, payments: 0, refunds: 0 }),
    ]);
  });

  it('should flag a buyer whose refunds reach the rate from their second refund', async () => {
    const once = randomUUID();
    await payments(once, 1, 1);
    await signal(once, 'refund', `evt_${randomUUID()}`);
    const often = randomUUID();
    await payments(often, 4, 2);
    await signal(often, 'refund', `evt_${randomUUID()}`);
    await signal(often, 'refund', `evt_${randomUUID()}`);
    const seldom = randomUUID();
    await payments(seldom, 5, 2);
    await signal(seldom, 'refund', `evt_${randomUUID()}`);
    await signal(seldom, 'refund', `evt_${randomUUID()}`);
    const flags = await db.prisma.buyerFlag.findMany({ where: { userId: { in: [once, often, seldom] } } });
    expect(flags).toEqual([expect.objectContaining({ userId: often, reason: 'refund_rate', payments: 4, refunds: 2 })]);
  });

  it('should list flagged buyers, newest first, to staff holding fraud:read with a fresh second factor', async () => {
    const reader = staff(['fraud:read']);
    const all = await fraud.flagged(reader, 100);
    expect(all.totalCount).toBe(2);
    const first = await fraud.flagged(reader, 1);
    expect(first.nodes.map((f) => f.reason)).toEqual(['refund_rate']);
    const second = await fraud.flagged(reader, 1, first.pageInfo.endCursor);
    expect(second.nodes.map((f) => f.reason)).toEqual(['signals']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    await expect(fraud.flagged(staff(['payments:read', 'users:read']))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(fraud.flagged(staff(['fraud:read'], 3600))).rejects.toMatchObject({ code: 'STAFF_MFA_REQUIRED' });
    await expect(fraud.flagged({ kind: 'session', userId: randomUUID(), emailVerified: true, requestId: 'r' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
