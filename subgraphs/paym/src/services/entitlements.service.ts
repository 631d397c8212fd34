import { randomUUID } from 'node:crypto';
import { actsForUser } from '../../../../kernel/access';
import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { type Entitlement, type Payment, type PrismaClient, recordEvent } from '../data/db';
import type { Prisma } from '../data/prisma/client';
import { DEFAULT_FRAUD_POLICY, type FraudPolicy, type FraudSignalKind, recordFraudSignal } from './fraud.service';
import type { EntitlementState, Notice, PaymentNotice, PurchaseLookup, SettledNotice, Store } from '../stores/port';

export interface UserRef {
  id: string;
}

type Tx = Prisma.TransactionClient;

/** The states that give the subscriber's privileges. */
const ENTITLED = new Set<string>(['active', 'grace']);
export const isEntitled = (state: string) => ENTITLED.has(state);

/**
 * How far along its life a state is: of two notifications with the same store timestamp (Stripe's are whole
 * seconds), the one further along wins, so a refund and a renewal of the same second end refunded.
 */
const RANK: Record<EntitlementState, number> = { pending: 0, active: 1, grace: 2, on_hold: 3, expired: 4, refunded: 5, revoked: 5 };

const END_REASONS = { pending: 'expired', on_hold: 'on_hold', expired: 'expired', refunded: 'refunded', revoked: 'revoked' } as const;

/** A payment, refund or dispute this domain has not seen the payment of yet: retried until it has. */
export class PaymentNotYetKnown extends Error {}

/** The inbox keeps the notice as JSON: its instants come back as strings. */
function reviveNotice(json: unknown): Notice {
  const notice = json as Notice & { periodEnd?: string | Date };
  return 'periodEnd' in notice && notice.periodEnd ? ({ ...notice, periodEnd: new Date(notice.periodEnd) } as Notice) : notice;
}

interface Change {
  store: Store;
  userId: string;
  channelId: string;
  tier?: number;
  subscriptionRef: string;
  state: EntitlementState;
  periodEnd?: Date;
  at: Date;
}

/**
 * One entitlement per subscriber and channel, driven by the stores' notifications whatever order they arrive in:
 * each is applied once (per event id), and only if it is not older, by the store's own clock, than the last one
 * applied. A notification about another subscription than the one in force (an old purchase ending late) never
 * ends the one in force. Every payment and refund goes to the double-entry ledger once, in order or not.
 */
export class EntitlementsService {
  private readonly lookups: Map<string, PurchaseLookup>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly platformSharePercent = 50,
    lookups: PurchaseLookup[] = [],
    private readonly fraudPolicy: FraudPolicy = DEFAULT_FRAUD_POLICY,
  ) {
    this.lookups = new Map(lookups.map((l) => [l.store, l]));
  }

  /** A user's subscriptions, most recent first: to the user themself only. */
  async forUser(identity: Identity, userId: string): Promise<Entitlement[] | null> {
    if (!actsForUser(identity) || identity.userId !== userId) return null;
    return this.prisma.entitlement.findMany({ where: { userId }, orderBy: { startedAt: 'desc' } });
  }

  /** Applies one recorded notification (paym-webhooks-wkr), once per event. */
  async apply(event: EventOf<'paym.webhook.received.v1'>, group: string): Promise<string> {
    // The inbox row never changes once written: it is read, and the store asked, before the transaction, which
    // holds no connection while a store answers.
    const inbox = await this.prisma.webhookInbox.findUniqueOrThrow({ where: { id: event.data.inboxId } });
    const store = inbox.store as Store;
    const at = inbox.occurredAt;
    const notice = await this.settled(store, reviveNotice(inbox.notice));
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      switch (notice.kind) {
        case 'ignored':
          return 'ignored';
        case 'fraud_warning': {
          const payment = await this.payment(tx, store, notice.paymentRefs);
          await this.signal(tx, payment.userId, 'early_fraud_warning', store, inbox.eventId, at);
          return 'signal';
        }
        case 'refunded':
        case 'disputed': {
          const payment = await this.payment(tx, store, notice.paymentRefs);
          await this.refund(tx, payment, at);
          await this.signal(tx, payment.userId, notice.kind === 'refunded' ? 'refund' : 'dispute', store, inbox.eventId, at);
          return this.transition(tx, {
            store,
            userId: payment.userId,
            channelId: payment.channelId,
            subscriptionRef: payment.storeSubscriptionId,
            state: notice.kind === 'refunded' ? 'refunded' : 'revoked',
            at,
          });
        }
        default: {
          const known = await tx.entitlement.findFirst({ where: { store, storeSubscriptionId: notice.subscriptionRef } });
          const who = notice.subscriber ?? known;
          if (!who) throw new PaymentNotYetKnown(`no subscriber is known yet for ${store} subscription ${notice.subscriptionRef}`);
          if (notice.kind === 'paid' && notice.payment) {
            await this.pay(tx, store, notice.payment, { ...who, subscriptionRef: notice.subscriptionRef }, at);
          }
          return this.transition(tx, {
            store,
            userId: who.userId,
            channelId: who.channelId,
            tier: who.tier,
            subscriptionRef: notice.subscriptionRef,
            state: notice.kind === 'state' ? notice.state : 'active',
            periodEnd: notice.periodEnd,
            at,
          });
        }
      }
    });
  }

  /** The notice to apply: for a notification that only signals a change, what the store says now. */
  private async settled(store: Store, notice: Notice): Promise<SettledNotice> {
    if (notice.kind !== 'changed') return notice;
    const lookup = this.lookups.get(store);
    if (!lookup) throw new Error(`no ${store} client is configured to ask what changed`);
    return lookup.current(notice);
  }

  private async transition(tx: Tx, change: Change): Promise<string> {
    const { userId, channelId, state, at } = change;
    // Notifications of two subscriptions of the same subscriber may be applied at once by two consumers.
    await tx.$executeRaw`SELECT 1 FROM entitlement WHERE user_id = ${userId}::uuid AND channel_id = ${channelId}::uuid FOR UPDATE`;
    const current = await tx.entitlement.findUnique({ where: { userId_channelId: { userId, channelId } } });
    const ends = isEntitled(state) ? undefined : END_REASONS[state as keyof typeof END_REASONS];
    if (!current) {
      const created = await tx.entitlement.create({
        data: {
          id: randomUUID(),
          userId,
          channelId,
          tier: change.tier ?? 1,
          store: change.store,
          storeSubscriptionId: change.subscriptionRef,
          state,
          periodEnd: change.periodEnd ?? null,
          startedAt: at,
          endedAt: ends ? at : null,
          endReason: ends ?? null,
          lastEventAt: at,
        },
      });
      if (isEntitled(state)) await this.publish(tx, 'paym.subscription.activated.v1', created, at);
      return `created ${state}`;
    }
    const sameSubscription = current.store === change.store && current.storeSubscriptionId === change.subscriptionRef;
    if (!sameSubscription && isEntitled(current.state) && !isEntitled(state)) return 'superseded';
    const last = current.lastEventAt.getTime();
    if (at.getTime() < last || (at.getTime() === last && RANK[state] < RANK[current.state as EntitlementState])) return 'stale';

    const was = isEntitled(current.state);
    const is = isEntitled(state);
    const periodEnd = change.periodEnd ?? (sameSubscription ? current.periodEnd : null);
    const updated = await tx.entitlement.update({
      where: { id: current.id },
      data: {
        state,
        periodEnd,
        tier: change.tier ?? current.tier,
        store: change.store,
        storeSubscriptionId: change.subscriptionRef,
        lastEventAt: at,
        ...(is && !was ? { startedAt: at, endedAt: null, endReason: null } : {}),
        ...(was && !is ? { endedAt: at, endReason: ends } : {}),
      },
    });
    if (is && !was) await this.publish(tx, 'paym.subscription.activated.v1', updated, at);
    else if (was && !is) await this.publish(tx, 'paym.subscription.ended.v1', updated, at);
    else if (is && current.periodEnd && periodEnd && periodEnd > current.periodEnd) {
      await this.publish(tx, 'paym.subscription.renewed.v1', updated, at);
    }
    return `${current.state} -> ${state}`;
  }

  private async publish(
    tx: Tx,
    topic: 'paym.subscription.activated.v1' | 'paym.subscription.renewed.v1' | 'paym.subscription.ended.v1',
    entitlement: Entitlement,
    at: Date,
  ): Promise<void> {
    const base = {
      subscriptionId: entitlement.id,
      userId: entitlement.userId,
      channelId: entitlement.channelId,
      tier: entitlement.tier,
      store: entitlement.store as Store,
      at: at.toISOString(),
    };
    if (topic === 'paym.subscription.ended.v1') {
      await recordEvent(tx, topic, entitlement.channelId, { ...base, reason: entitlement.endReason as 'expired' });
    } else {
      await recordEvent(tx, topic, entitlement.channelId, { ...base, periodEnd: entitlement.periodEnd?.toISOString() ?? null });
    }
  }

  /** The payment a refund, dispute or warning names, by any of the ids the store gives it. */
  private async payment(tx: Tx, store: Store, refs: string[]): Promise<Payment> {
    const payment = await tx.payment.findFirst({
      where: { store, OR: [{ storePaymentId: { in: refs } }, { aliases: { hasSome: refs } }] },
    });
    if (!payment) throw new PaymentNotYetKnown(`no ${store} payment ${refs.join(', ').slice(0, 200)} is known yet`);
    return payment;
  }

  /** A payment, once per store payment id, and its ledger transaction: the store collected it for both shares. */
  private async pay(
    tx: Tx,
    store: Store,
    payment: PaymentNotice,
    who: { userId: string; channelId: string; subscriptionRef: string },
    at: Date,
  ): Promise<void> {
    const id = randomUUID();
    const inserted = await tx.payment.createMany({
      data: [
        {
          id,
          store,
          storePaymentId: payment.id,
          aliases: payment.aliases,
          storeSubscriptionId: who.subscriptionRef,
          userId: who.userId,
          channelId: who.channelId,
          amount: payment.amount,
          currency: payment.currency.toLowerCase(),
          paidAt: at,
        },
      ],
      skipDuplicates: true,
    });
    if (inserted.count) await this.ledger(tx, id, store, who.channelId, payment.amount, payment.currency.toLowerCase(), 'payment', 1);
  }

  /** A refund or a lost dispute, once per payment: the ledger transaction of the payment, reversed. */
  private async refund(tx: Tx, payment: Payment, at: Date): Promise<void> {
    const refunded = await tx.payment.updateMany({ where: { id: payment.id, refundedAt: null }, data: { refundedAt: at } });
    if (refunded.count) await this.ledger(tx, payment.id, payment.store, payment.channelId, payment.amount, payment.currency, 'refund', -1);
  }

  private async ledger(
    tx: Tx,
    paymentId: string,
    store: string,
    channelId: string,
    amount: number,
    currency: string,
    kind: 'payment' | 'refund',
    sign: 1 | -1,
  ): Promise<void> {
    const platform = Math.floor((amount * this.platformSharePercent) / 100);
    const transactionId = randomUUID();
    const entries = [
      { account: `store:${store}`, amount: -amount },
      { account: 'platform', amount: platform },
      { account: `channel:${channelId}`, amount: amount - platform },
    ];
    await tx.ledgerEntry.createMany({
      data: entries.map((e) => ({
        id: randomUUID(),
        transactionId,
        account: e.account,
        amount: sign * e.amount,
        currency,
        kind,
        paymentId,
      })),
    });
  }

  private signal(tx: Tx, userId: string, kind: FraudSignalKind, store: Store, storeEventId: string, occurredAt: Date): Promise<void> {
    return recordFraudSignal(tx, this.fraudPolicy, { userId, kind, store, storeEventId, occurredAt });
  }
}
