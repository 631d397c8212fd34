import Stripe from 'stripe';
import { fromSeconds, idOf, integer, pick, subscriberOf, text } from './read';
import { type EntitlementState, type Notice, NotificationRejected, type NotificationVerifier, type StoreNotification } from './port';

/** A Stripe API client reaching `baseUrl` (Stripe's, or a local stand-in in tests). */
export function stripeClient(apiKey: string, baseUrl: string): Stripe {
  const url = new URL(baseUrl);
  return new Stripe(apiKey, {
    host: url.hostname,
    port: url.port || (url.protocol === 'http:' ? 80 : 443),
    protocol: url.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: 2,
    timeout: 10_000,
    telemetry: false,
  });
}

/** Stripe's subscription statuses as entitlement states. */
const SUBSCRIPTION_STATES: Record<string, EntitlementState> = {
  incomplete: 'pending',
  trialing: 'active',
  active: 'active',
  past_due: 'grace',
  unpaid: 'on_hold',
  paused: 'on_hold',
  canceled: 'expired',
  incomplete_expired: 'expired',
};

const refs = (...values: unknown[]) => [...new Set(values.map(idOf).filter((v): v is string => Boolean(v)))];

/** The latest end of an invoice's lines: the period it paid for. */
function invoicePeriodEnd(invoice: unknown): Date | undefined {
  const lines = pick(invoice, 'lines', 'data');
  const ends = Array.isArray(lines) ? lines.map((line) => integer(pick(line, 'period', 'end'))).filter((v) => v !== undefined) : [];
  return ends.length ? new Date(Math.max(...ends) * 1000) : undefined;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new NotificationRejected('malformed', `the event has no ${what}`);
  return value;
}

/** What a Stripe event of a handled type says about a subscription; unhandled types are refused. */
export function stripeNotice(event: Stripe.Event): Notice {
  const object: unknown = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed': {
      if (pick(object, 'mode') !== 'subscription') throw new NotificationRejected('unknown-event', 'not a subscription checkout');
      return {
        kind: 'purchased',
        subscriptionRef: need(idOf(pick(object, 'subscription')), 'subscription'),
        subscriber: subscriberOf(pick(object, 'metadata')),
      };
    }
    case 'invoice.paid': {
      // Since API version 2025-03-31 an invoice names its subscription under parent.subscription_details.
      const details = pick(object, 'parent', 'subscription_details') ?? pick(object, 'subscription_details');
      const payments = pick(object, 'payments', 'data');
      return {
        kind: 'paid',
        subscriptionRef: need(idOf(pick(details, 'subscription')) ?? idOf(pick(object, 'subscription')), 'subscription'),
        subscriber: subscriberOf(pick(details, 'metadata')) ?? subscriberOf(pick(object, 'lines', 'data', 0, 'metadata')),
        periodEnd: invoicePeriodEnd(object),
        payment: {
          id: need(idOf(object), 'invoice id'),
          aliases: refs(
            pick(object, 'charge'),
            pick(object, 'payment_intent'),
            ...(Array.isArray(payments)
              ? payments.flatMap((p) => [pick(p, 'payment', 'payment_intent'), pick(p, 'payment', 'charge')])
              : []),
          ),
          amount: need(integer(pick(object, 'amount_paid')), 'amount_paid'),
          currency: need(text(pick(object, 'currency')), 'currency'),
        },
      };
    }
    case 'invoice.payment_failed': {
      const details = pick(object, 'parent', 'subscription_details') ?? pick(object, 'subscription_details');
      return {
        kind: 'state',
        state: 'grace',
        subscriptionRef: need(idOf(pick(details, 'subscription')) ?? idOf(pick(object, 'subscription')), 'subscription'),
        subscriber: subscriberOf(pick(details, 'metadata')),
      };
    }
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const status = text(pick(object, 'status')) ?? '';
      const state = event.type === 'customer.subscription.deleted' ? 'expired' : SUBSCRIPTION_STATES[status];
      if (!state) throw new NotificationRejected('malformed', `unknown subscription status ${status.slice(0, 40)}`);
      // Since API version 2025-03-31 the period is per subscription item.
      const periodEnd =
        fromSeconds(pick(object, 'items', 'data', 0, 'current_period_end')) ?? fromSeconds(pick(object, 'current_period_end'));
      return {
        kind: 'state',
        state,
        subscriptionRef: need(idOf(object), 'subscription id'),
        subscriber: subscriberOf(pick(object, 'metadata')),
        periodEnd,
      };
    }
    case 'charge.refunded':
      // A partial refund leaves the subscription paid for.
      return pick(object, 'refunded') === true
        ? { kind: 'refunded', paymentRefs: refs(object, pick(object, 'payment_intent'), pick(object, 'invoice')) }
        : { kind: 'ignored' };
    case 'charge.dispute.created':
      return { kind: 'disputed', paymentRefs: refs(pick(object, 'charge'), pick(object, 'payment_intent')) };
    case 'radar.early_fraud_warning.created':
      return { kind: 'fraud_warning', paymentRefs: refs(pick(object, 'charge'), pick(object, 'payment_intent')) };
    default:
      throw new NotificationRejected('unknown-event', `Stripe events of type ${String(event.type).slice(0, 60)} are not handled`);
  }
}

/**
 * Stripe's webhooks, verified by Stripe's own library on the exact bytes received: `Stripe-Signature` is an
 * HMAC-SHA256 under an endpoint secret, with a timestamp at most `toleranceSeconds` old. Several secrets are valid
 * while one is rotated: the signature must match one of them.
 */
export class StripeNotifications implements NotificationVerifier {
  readonly store = 'stripe';
  private readonly stripe = new Stripe('sk_unused_for_verification', { telemetry: false });

  constructor(
    private readonly secrets: string[],
    private readonly toleranceSeconds: number,
  ) {}

  async verify(raw: Buffer, headers: { signature?: string }): Promise<StoreNotification> {
    const event = this.construct(raw, headers.signature);
    return {
      store: 'stripe',
      eventId: event.id,
      eventType: event.type,
      occurredAt: new Date(event.created * 1000),
      notice: stripeNotice(event),
      payload: JSON.parse(raw.toString('utf8')) as object,
    };
  }

  private construct(raw: Buffer, signature: string | undefined): Stripe.Event {
    if (!signature) throw new NotificationRejected('signature', 'no Stripe-Signature header');
    let stale = false;
    for (const secret of this.secrets) {
      try {
        return this.stripe.webhooks.constructEvent(raw, signature, secret, this.toleranceSeconds);
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
          throw new NotificationRejected('malformed', 'the body is not a Stripe event');
        }
        // Stripe checks the timestamp only once a signature matched: the secret was right, the event too old.
        if (/tolerance/i.test(error.message)) stale = true;
      }
    }
    if (stale) throw new NotificationRejected('stale', `the signature is older than ${this.toleranceSeconds} seconds`);
    throw new NotificationRejected('signature', 'the Stripe-Signature matches none of the endpoint secrets');
  }
}
