import { actingUser, requirePermission } from '../../../../kernel/access';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, type Page, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import type { Payout, PayoutAccount, PrismaClient } from '../data/db';

export type PayoutState = 'pending' | 'paid' | 'failed';

export interface PayoutFilter {
  channelId?: string | null;
  state?: PayoutState | null;
  first?: number | null;
  after?: string | null;
}

// Stripe's connected account ids: acct_ and an alphanumeric id (16 characters today; room left for longer ones).
const STRIPE_ACCOUNT_ID = /^acct_[A-Za-z0-9]{1,64}$/;

/**
 * What streamers are paid: the Stripe Connect account their channel's balance goes to, named by the broadcaster,
 * and the payouts paym-transfers-wkr made, listed to the broadcaster and to finance staff (`payments:read`).
 */
export class PayoutsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  /** The broadcaster names (or replaces) the channel's Stripe Connect account. */
  async setAccount(identity: Identity, channelId: string, stripeAccountId: string): Promise<PayoutAccount> {
    await this.requireBroadcaster(identity, channelId, "only the channel's broadcaster names its payout account");
    if (!STRIPE_ACCOUNT_ID.test(stripeAccountId)) {
      throw new DomainError('VALIDATION_FAILED', 'the payout account is invalid', {
        fields: [{ field: 'stripeAccountId', message: 'a Stripe Connect account id: acct_ and 1–64 letters or digits' }],
      });
    }
    return this.prisma.payoutAccount.upsert({
      where: { channelId },
      create: { channelId, stripeAccountId },
      // Written even when unchanged: naming an account again is what lets a refused account be tried again.
      update: { stripeAccountId, updatedAt: new Date() },
    });
  }

  /** A channel's payouts, newest first: its broadcaster only. */
  async ofChannel(identity: Identity, channelId: string, first?: number | null, after?: string | null): Promise<Page<Payout>> {
    await this.requireBroadcaster(identity, channelId, "only the channel's broadcaster sees its payouts");
    return this.page({ channelId }, pageSize(first, 20), after);
  }

  /** Every channel's payouts, newest first, optionally one channel's or one state's: finance staff only. */
  async list(identity: Identity, filter: PayoutFilter): Promise<Page<Payout>> {
    requirePermission(identity, 'payments:read', this.mfaMaxAgeSeconds);
    if (filter.channelId != null && !isUuid(filter.channelId)) {
      throw new DomainError('VALIDATION_FAILED', 'the filter is invalid', { fields: [{ field: 'channelId', message: 'a UUID' }] });
    }
    const where = {
      ...(filter.channelId != null && { channelId: filter.channelId }),
      ...(filter.state != null && { state: filter.state }),
    };
    return this.page(where, pageSize(filter.first, 50), filter.after);
  }

  private async page(where: { channelId?: string; state?: string }, size: number, after: string | null | undefined) {
    const position = decodeCursor(after, 'after');
    const [rows, totalCount] = await Promise.all([
      this.prisma.payout.findMany({
        where: position ? { ...where, ...rowsAfter(position, 'createdAt', 'id', 'desc') } : where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      }),
      this.prisma.payout.count({ where }),
    ]);
    return toPage(rows, size, totalCount, (p) => ({ at: p.createdAt, id: p.id }));
  }

  private async requireBroadcaster(identity: Identity, channelId: string, refusal: string): Promise<void> {
    const userId = actingUser(identity);
    const channel = isUuid(channelId) ? await this.prisma.channelOwner.findUnique({ where: { channelId } }) : null;
    if (!channel) throw new DomainError('PAYM_CHANNEL_NOT_FOUND', 'no such channel');
    if (channel.ownerId !== userId) throw new DomainError('PAYM_NOT_BROADCASTER', refusal);
  }
}
