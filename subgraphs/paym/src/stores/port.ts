/**
 * What the domain reads in any store's notification, whichever store sent it: the port between the stores'
 * dialects (Stripe events, App Store Server Notifications, Google Play developer notifications) and the one
 * entitlement state machine.
 */
export type Store = 'stripe' | 'apple' | 'google';

export type EntitlementState = 'pending' | 'active' | 'grace' | 'on_hold' | 'expired' | 'refunded' | 'revoked';

/** Who bought what, when the notification says it (Stripe's metadata, Apple's appAccountToken and product). */
export interface Subscriber {
  userId: string;
  channelId: string;
  tier: number;
}

export interface PaymentNotice {
  /** The store's id of the payment (Stripe invoice, Apple transaction, Google order). */
  id: string;
  /** Other ids the store may later name the same payment by (Stripe: its charge and payment intent). */
  aliases: string[];
  amount: number;
  currency: string;
}

export type Notice =
  /** Bought: the subscription is paid or about to be (Stripe's completed checkout). */
  | { kind: 'purchased'; subscriptionRef: string; subscriber?: Subscriber; periodEnd?: Date }
  /** A payment for a period: a first payment or a renewal. */
  | { kind: 'paid'; subscriptionRef: string; subscriber?: Subscriber; periodEnd?: Date; payment?: PaymentNotice }
  /** The store's own word on the subscription's state. */
  | { kind: 'state'; subscriptionRef: string; subscriber?: Subscriber; state: EntitlementState; periodEnd?: Date }
  /** A payment given back, or taken back in a dispute: the subscription it paid for ends. */
  | { kind: 'refunded' | 'disputed'; paymentRefs: string[]; subscriptionRef?: string }
  /** A card issuer's early warning of fraud on a payment: recorded, the subscription untouched. */
  | { kind: 'fraud_warning'; paymentRefs: string[] }
  /**
   * The store says a subscription changed without saying how (Google Play's developer notifications): its state is
   * fetched from the store before anything is applied.
   */
  | { kind: 'changed'; subscriptionRef: string; productId: string; notificationType: number }
  /** A notification the domain records and acknowledges without acting on it (a renewal switched off). */
  | { kind: 'ignored'; subscriptionRef?: string };

/** A notice the entitlements act on: what the store said, or what it says now when it only signalled a change. */
export type SettledNotice = Exclude<Notice, { kind: 'changed' }>;

/** A store's notification, verified and read. */
export interface StoreNotification {
  store: Store;
  eventId: string;
  eventType: string;
  /** The store's own time of the event, which orders the notifications of one subscription. */
  occurredAt: Date;
  notice: Notice;
  /** What is kept of the body in the inbox. */
  payload: object;
}

/** Why a notification is refused; nothing is recorded. */
export class NotificationRejected extends Error {
  constructor(
    readonly reason: 'signature' | 'stale' | 'malformed' | 'unknown-event',
    message: string,
  ) {
    super(message);
  }
}

/** One store's notifications: verified on the bytes received, then read. */
export interface NotificationVerifier {
  readonly store: Store;
  verify(raw: Buffer, headers: { signature?: string; authorization?: string }): Promise<StoreNotification>;
}

/** A store's current word on one subscription, asked when a notification only signals a change. */
export interface PurchaseLookup {
  readonly store: Store;
  /** What the store says now about the subscription. */
  current(notice: Extract<Notice, { kind: 'changed' }>): Promise<SettledNotice>;
}
