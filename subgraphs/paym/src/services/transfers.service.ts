import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import type { Payout, PrismaClient } from '../data/db';
import type { Prisma } from '../data/prisma/client';

/** Any number naming this worker's advisory lock: one instance reserves balances at a time. */
const RESERVE_LOCK = 0x70617974;

type Tx = Prisma.TransactionClient;

/** The ledger account of what the platform has sent to streamers through Stripe Connect. */
const PAID_OUT = 'payouts:stripe';

/**
 * Pays streamers their balance (the ledger's `channel:<id>` account, per currency) once it reaches `minimum`, by a
 * Stripe Connect transfer to the channel's connected account. Two steps, each committed: the balance is reserved
 * (a pending payout and its ledger transaction, so it is never paid twice however often the worker runs), then the
 * transfer is made with the payout's id as Stripe's idempotency key. A worker killed between Stripe's answer and
 * its commit finds the payout still pending when it starts again and asks again with the same key: Stripe answers
 * the transfer it already made, and the streamer is paid once. A transfer Stripe refuses fails the payout and
 * gives the balance back.
 */
export class TransfersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly stripe: Stripe | undefined,
    private readonly minimum: number,
    private readonly batch = 100,
  ) {}

  /** One round: reserves what is due, then settles every pending payout (those a crash left included). */
  async run(): Promise<{ reserved: number; paid: number; failed: number }> {
    if (!this.stripe) return { reserved: 0, paid: 0, failed: 0 };
    const reserved = await this.reserve();
    const pending = await this.prisma.payout.findMany({ where: { state: 'pending' }, orderBy: { createdAt: 'asc' }, take: this.batch });
    let paid = 0;
    let failed = 0;
    for (const payout of pending) {
      if ((await this.settle(payout)) === 'paid') paid += 1;
      else failed += 1;
    }
    return { reserved, paid, failed };
  }

  /**
   * A pending payout for every balance at or above the minimum of a channel with a payout account (one Stripe has
   * not refused) and none pending.
   */
  private reserve(): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RESERVE_LOCK}) AS locked`;
        if (!locked) return 0;
        const due = await tx.$queryRaw<{ channel_id: string; stripe_account_id: string; currency: string; balance: number }[]>`
          SELECT a.channel_id, a.stripe_account_id, l.currency, sum(l.amount)::int AS balance
          FROM payout_account a
          JOIN ledger_entry l ON l.account = 'channel:' || a.channel_id::text
          WHERE NOT EXISTS (SELECT 1 FROM payout p WHERE p.channel_id = a.channel_id AND p.currency = l.currency AND p.state = 'pending')
            -- An account Stripe refused is not tried again until the streamer names another.
            AND NOT EXISTS (SELECT 1 FROM payout p WHERE p.channel_id = a.channel_id AND p.state = 'failed'
                            AND p.stripe_account_id = a.stripe_account_id AND p.settled_at >= a.updated_at)
          GROUP BY a.channel_id, a.stripe_account_id, l.currency
          HAVING sum(l.amount) >= ${this.minimum}
          LIMIT ${this.batch}`;
        for (const row of due) {
          const payout = await tx.payout.create({
            data: {
              id: randomUUID(),
              channelId: row.channel_id,
              amount: row.balance,
              currency: row.currency,
              stripeAccountId: row.stripe_account_id,
              state: 'pending',
            },
          });
          await this.ledger(tx, payout, 1);
        }
        return due.length;
      },
      { timeout: 60_000 },
    );
  }

  private async settle(payout: Payout): Promise<'paid' | 'failed'> {
    let transfer: Stripe.Transfer;
    try {
      transfer = await (this.stripe as Stripe).transfers.create(
        {
          amount: payout.amount,
          currency: payout.currency,
          destination: payout.stripeAccountId,
          transfer_group: `channel:${payout.channelId}`,
          metadata: { payoutId: payout.id, channelId: payout.channelId },
        },
        { idempotencyKey: `payout:${payout.id}` },
      );
    } catch (error) {
      // Stripe refused the transfer itself (an account that cannot receive it): retrying would not help.
      if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripePermissionError) {
        await this.fail(payout, error.message);
        return 'failed';
      }
      throw error;
    }
    await this.prisma.payout.updateMany({
      where: { id: payout.id, state: 'pending' },
      data: { state: 'paid', stripeTransferId: transfer.id, settledAt: new Date() },
    });
    return 'paid';
  }

  private fail(payout: Payout, reason: string): Promise<void> {
    return this.prisma.$transaction(async (tx) => {
      const failed = await tx.payout.updateMany({
        where: { id: payout.id, state: 'pending' },
        data: { state: 'failed', failure: reason.slice(0, 500), settledAt: new Date() },
      });
      if (failed.count) await this.ledger(tx, payout, -1);
    });
  }

  /** The payout's ledger transaction: the channel's balance moves to what was paid out (reversed on failure). */
  private async ledger(tx: Tx, payout: Payout, sign: 1 | -1): Promise<void> {
    const transactionId = randomUUID();
    const entries = [
      { account: `channel:${payout.channelId}`, amount: -payout.amount },
      { account: PAID_OUT, amount: payout.amount },
    ];
    await tx.ledgerEntry.createMany({
      data: entries.map((e) => ({
        id: randomUUID(),
        transactionId,
        account: e.account,
        amount: sign * e.amount,
        currency: payout.currency,
        kind: sign === 1 ? 'payout' : 'payout_reversal',
        payoutId: payout.id,
      })),
    });
  }
}
