import { type PrismaClient, recordEvent } from '../data/db';

/** Any number naming this runner's advisory lock: one sweep at a time across every instance. */
const SWEEP_LOCK = 0x7061796d;

/**
 * The stores say when a subscription renews, fails or ends, but a notification can be lost: an entitlement still
 * entitled well past its period end (`slackSeconds`, the stores' own retry window) is expired here. The sweep does
 * not advance the entitlement's store clock, so a renewal the store sent before it and that arrives after it still
 * applies and makes the subscriber entitled again.
 */
export class RenewalsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly slackSeconds: number,
    private readonly batch = 100,
  ) {}

  /** Expires what is overdue at `now`; `null` when another instance holds the sweep. */
  async sweep(now: Date = new Date()): Promise<number | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS locked`;
        if (!locked) return null;
        const overdue = await tx.entitlement.findMany({
          where: { state: { in: ['active', 'grace'] }, periodEnd: { lt: new Date(now.getTime() - this.slackSeconds * 1000) } },
          take: this.batch,
          orderBy: { periodEnd: 'asc' },
        });
        for (const entitlement of overdue) {
          const ended = await tx.entitlement.update({
            where: { id: entitlement.id },
            data: { state: 'expired', endedAt: now, endReason: 'expired' },
          });
          await recordEvent(tx, 'paym.subscription.ended.v1', ended.channelId, {
            subscriptionId: ended.id,
            userId: ended.userId,
            channelId: ended.channelId,
            tier: ended.tier,
            store: ended.store as 'stripe',
            reason: 'expired',
            // The store's clock of the period end, so a renewal the store made after it still wins in projections.
            at: (ended.periodEnd ?? now).toISOString(),
          });
        }
        return overdue.length;
        // A batch's updates take longer than an interactive transaction's default 5 s on a busy server.
      },
      { timeout: 60_000 },
    );
  }
}
