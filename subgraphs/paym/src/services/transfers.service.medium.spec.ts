import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../test/support/database';
import { startFakeStripe } from '../../../../test/support/fake-stripe';
import { connectPaymDb, type PaymDb } from '../data/db';
import { stripeClient } from '../stores/stripe';
import { TransfersService } from './transfers.service';

describe('TransfersService', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: PaymDb;
  let stripe: Awaited<ReturnType<typeof startFakeStripe>>;
  let transfers: TransfersService;

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = connectPaymDb(database.url, 4);
    stripe = await startFakeStripe();
    transfers = new TransfersService(db.prisma, stripeClient('sk_test_transfers', stripe.url), 5000);
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
    await stripe?.stop();
  });

  afterEach(async () => {
    const { rows } = await db.pool.query(
      'SELECT transaction_id FROM paym.ledger_entry GROUP BY transaction_id, currency HAVING sum(amount) <> 0',
    );
    expect(rows).toEqual([]);
  });

  /** A payment of `amount` of which the channel is owed `share`, as the webhooks worker records it. */
  const earned = async (channelId: string, amount: number, share: number, currency = 'usd') => {
    const transactionId = randomUUID();
    const paymentId = randomUUID();
    for (const [account, value] of [
      ['store:stripe', -amount],
      ['platform', amount - share],
      [`channel:${channelId}`, share],
    ] as const) {
      await db.pool.query(
        "INSERT INTO paym.ledger_entry (id, transaction_id, account, amount, currency, kind, payment_id) VALUES ($1, $2, $3, $4, $5, 'payment', $6)",
        [randomUUID(), transactionId, account, value, currency, paymentId],
      );
    }
  };
  const account = (channelId: string, stripeAccountId: string) =>
    db.pool.query('INSERT INTO paym.payout_account (channel_id, stripe_account_id, updated_at) VALUES ($1, $2, now())', [
      channelId,
      stripeAccountId,
    ]);
  const balance = async (channelId: string, currency = 'usd') =>
    Number(
      (
        await db.pool.query('SELECT coalesce(sum(amount), 0)::int AS n FROM paym.ledger_entry WHERE account = $1 AND currency = $2', [
          `channel:${channelId}`,
          currency,
        ])
      ).rows[0].n,
    );
  const payouts = (channelId: string) => db.prisma.payout.findMany({ where: { channelId }, orderBy: { createdAt: 'asc' } });

  it('should pay a balance at the minimum once, to the channel account, with the payout as idempotency key', async () => {
    const channelId = randomUUID();
    await account(channelId, 'acct_paid');
    await earned(channelId, 9000, 4500);
    await earned(channelId, 1000, 500, 'eur');
    await transfers.run();
    expect(await payouts(channelId)).toEqual([]);
    await earned(channelId, 1000, 500);
    await transfers.run();
    const [payout] = await payouts(channelId);
    expect(payout).toMatchObject({ state: 'paid', amount: 5000, currency: 'usd', stripeAccountId: 'acct_paid' });
    const made = stripe.transfers.filter((t) => t.params.get('destination') === 'acct_paid');
    expect(made).toHaveLength(1);
    expect(made[0].idempotencyKey).toBe(`payout:${payout.id}`);
    expect(payout.stripeTransferId).toBe(made[0].id);
    expect(Object.fromEntries(made[0].params)).toMatchObject({ amount: '5000', currency: 'usd', 'metadata[channelId]': channelId });
    expect(await balance(channelId)).toBe(0);
    expect(await balance(channelId, 'eur')).toBe(500);
    await transfers.run();
    expect(await payouts(channelId)).toHaveLength(1);
  });

  it('should pay nothing to a channel without a payout account', async () => {
    const channelId = randomUUID();
    await earned(channelId, 20_000, 10_000);
    await transfers.run();
    expect(await payouts(channelId)).toEqual([]);
  });

  it('should fail a transfer Stripe refuses and give the balance back', async () => {
    const channelId = randomUUID();
    await account(channelId, 'acct_closed');
    stripe.refusedDestinations.add('acct_closed');
    await earned(channelId, 12_000, 6000);
    await transfers.run();
    expect(await payouts(channelId)).toMatchObject([{ state: 'failed', failure: expect.stringContaining('No such destination') }]);
    expect(await balance(channelId)).toBe(6000);
    await transfers.run();
    expect(await payouts(channelId)).toHaveLength(1);
  });
});
