import { randomUUID } from 'node:crypto';
import { requirePermission } from '../../../../kernel/access';
import type { Identity } from '../../../../kernel/identity';
import { decodeCursor, type Page, pageSize, rowsAfter, toPage } from '../../../../kernel/paging';
import type { BuyerFlag, PrismaClient } from '../data/db';
import type { Prisma } from '../data/prisma/client';
import type { Store } from '../stores/port';

type Tx = Prisma.TransactionClient;

export type FraudSignalKind = 'dispute' | 'early_fraud_warning' | 'refund';

/** When a buyer is flagged (paym-webhooks-wkr's PAYM_FRAUD_* settings). */
export interface FraudPolicy {
  /** Disputes, early fraud warnings and refunds, together, from which a buyer is flagged. */
  signalThreshold: number;
  /** The share of a buyer's payments refunded, in percent, from which they are flagged (two refunds at least). */
  refundRatePercent: number;
}

export const DEFAULT_FRAUD_POLICY: FraudPolicy = { signalThreshold: 3, refundRatePercent: 50 };

// One refund of one payment is a 100 % rate: the rate says something only from the second refund.
const MIN_REFUNDS_FOR_RATE = 2;

export interface FraudSignal {
  userId: string;
  kind: FraudSignalKind;
  store: Store;
  storeEventId: string;
  occurredAt: Date;
}

/**
 * Records a fraud signal in the transaction applying its notification (paym-webhooks-wkr), and flags its buyer once
 * they cross one of the policy's thresholds. A notification delivered again is the same store event: not counted
 * twice.
 */
export async function recordFraudSignal(tx: Tx, policy: FraudPolicy, signal: FraudSignal): Promise<void> {
  const { userId } = signal;
  const recorded = await tx.fraudSignal.createMany({ data: [{ id: randomUUID(), ...signal }], skipDuplicates: true });
  if (!recorded.count) return;
  // Two signals of one buyer applied at once by two consumers would each count without the other's.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('paym.buyer_flag'), hashtext(${userId}))`;
  if (await tx.buyerFlag.findUnique({ where: { userId } })) return;
  const [signals, payments, refunds] = await Promise.all([
    tx.fraudSignal.count({ where: { userId } }),
    tx.payment.count({ where: { userId } }),
    tx.payment.count({ where: { userId, refundedAt: { not: null } } }),
  ]);
  const reason =
    signals >= policy.signalThreshold
      ? 'signals'
      : refunds >= MIN_REFUNDS_FOR_RATE && refunds * 100 >= policy.refundRatePercent * payments
        ? 'refund_rate'
        : undefined;
  if (reason) await tx.buyerFlag.create({ data: { userId, reason, signals, payments, refunds } });
}

/** The buyers flagged for their fraud signals, listed to the trust and safety staff. */
export class FraudService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  /** The flagged buyers, most recently flagged first: trust and safety staff (`fraud:read`). */
  async flagged(identity: Identity, first?: number | null, after?: string | null): Promise<Page<BuyerFlag>> {
    requirePermission(identity, 'fraud:read', this.mfaMaxAgeSeconds);
    const size = pageSize(first, 50);
    const position = decodeCursor(after, 'after');
    const [rows, totalCount] = await Promise.all([
      this.prisma.buyerFlag.findMany({
        where: position ? rowsAfter(position, 'flaggedAt', 'userId', 'desc') : {},
        orderBy: [{ flaggedAt: 'desc' }, { userId: 'desc' }],
        take: size + 1,
      }),
      this.prisma.buyerFlag.count(),
    ]);
    return toPage(rows, size, totalCount, (f) => ({ at: f.flaggedAt, id: f.userId }));
  }
}
