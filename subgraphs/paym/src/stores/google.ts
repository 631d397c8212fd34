import { JWTAccess, OAuth2Client, type TokenPayload } from 'google-auth-library';
import { DomainError } from '../../../../kernel/errors';
import { isUuid } from '../../../../kernel/ids';
import type { ProductLookup } from './apple';
import { fromMillis, integer, pick, text } from './read';
import {
  type Notice,
  NotificationRejected,
  type NotificationVerifier,
  type PurchaseLookup,
  type SettledNotice,
  type StoreNotification,
} from './port';

/** Google Play's subscription notification types (Real-time developer notifications), by number. */
const SUBSCRIPTION_TYPES: Record<number, string> = {
  1: 'SUBSCRIPTION_RECOVERED',
  2: 'SUBSCRIPTION_RENEWED',
  3: 'SUBSCRIPTION_CANCELED',
  4: 'SUBSCRIPTION_PURCHASED',
  5: 'SUBSCRIPTION_ON_HOLD',
  6: 'SUBSCRIPTION_IN_GRACE_PERIOD',
  7: 'SUBSCRIPTION_RESTARTED',
  8: 'SUBSCRIPTION_PRICE_CHANGE_CONFIRMED',
  9: 'SUBSCRIPTION_DEFERRED',
  10: 'SUBSCRIPTION_PAUSED',
  11: 'SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED',
  12: 'SUBSCRIPTION_REVOKED',
  13: 'SUBSCRIPTION_EXPIRED',
  17: 'SUBSCRIPTION_ITEMS_CHANGED',
  19: 'SUBSCRIPTION_PRICE_CHANGE_UPDATED',
  20: 'SUBSCRIPTION_PENDING_PURCHASE_CANCELED',
};
export const SUBSCRIPTION_REVOKED = 12;
/** voidedPurchaseNotification.productType of a subscription (2 is a one-time product, which no channel sells). */
const VOIDED_SUBSCRIPTION = 1;

/** The issuers of Google's ID tokens, as Pub/Sub's push signs them. */
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export interface GooglePushOptions {
  /** The audience the push subscription puts in its tokens (set on the subscription; usually the endpoint's URL). */
  audience: string;
  /** The service account the push subscription authenticates as: the token's verified `email`. */
  serviceAccount: string;
  /** Where Google's token signing certificates are published (PEM, by key id). */
  certsUrl: string;
  /** The app whose notifications are taken. */
  packageName: string;
}

/**
 * Google Play's Real-time developer notifications, pushed by Pub/Sub: the push's bearer token is an ID token Google
 * signed for the subscription's service account, verified by google-auth-library against Google's published
 * certificates (their URL configurable: tests serve their own) for the configured audience; `message.data` is the
 * base64 DeveloperNotification. A subscription notification only says that something changed: what did is asked of
 * Google Play by the webhooks worker before it is applied. Pub/Sub keeps a message's id across redeliveries: it is
 * the event id.
 */
export class GoogleNotifications implements NotificationVerifier {
  readonly store = 'google';
  private readonly client: OAuth2Client;

  constructor(
    private readonly options: GooglePushOptions,
    private readonly productOf: ProductLookup,
  ) {
    this.client = new OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl },
      issuers: GOOGLE_ISSUERS,
      // Node's own fetch: gaxios would otherwise import node-fetch dynamically, on the first call.
      transporterOptions: { fetchImplementation: fetch },
    });
  }

  async verify(raw: Buffer, headers: { authorization?: string }): Promise<StoreNotification> {
    await this.authenticate(headers.authorization);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {}
    const messageId = text(pick(body, 'message', 'messageId')) ?? text(pick(body, 'message', 'message_id'));
    const data = text(pick(body, 'message', 'data'));
    let notification: unknown;
    try {
      notification = data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : undefined;
    } catch {}
    const occurredAt = fromMillis(pick(notification, 'eventTimeMillis'));
    if (!messageId || !occurredAt)
      throw new NotificationRejected('malformed', 'the body is not a Pub/Sub push of a developer notification');
    if (pick(notification, 'packageName') !== this.options.packageName) {
      throw new NotificationRejected('signature', 'the notification is about another app');
    }
    const { eventType, notice } = await this.read(notification);
    return {
      store: 'google',
      eventId: messageId.slice(0, 200),
      eventType,
      occurredAt,
      notice,
      payload: { messageId, publishTime: pick(body, 'message', 'publishTime') ?? null, notification: notification as object },
    };
  }

  /** The push's token: signed by Google for the configured audience, for the subscription's service account. */
  private async authenticate(authorization: string | undefined): Promise<void> {
    const idToken = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization ?? '')?.[1];
    if (!idToken) throw new NotificationRejected('signature', 'the push carries no bearer token');
    try {
      await this.client.getFederatedSignonCertsAsync();
    } catch {
      throw new DomainError('PAYM_STORE_UNAVAILABLE', "Google's signing certificates could not be fetched");
    }
    let claims: TokenPayload | undefined;
    try {
      claims = (await this.client.verifyIdToken({ idToken, audience: this.options.audience })).getPayload();
    } catch (error) {
      const reason = (error as Error).message.startsWith('Token used too late') ? 'stale' : 'signature';
      throw new NotificationRejected(reason, `the push token was refused: ${(error as Error).message.split(':')[0].slice(0, 120)}`);
    }
    if (claims?.email !== this.options.serviceAccount || claims?.email_verified !== true) {
      throw new NotificationRejected('signature', 'the push token is not the configured service account');
    }
  }

  private async read(notification: unknown): Promise<{ eventType: string; notice: Notice }> {
    const subscription = pick(notification, 'subscriptionNotification');
    if (subscription) {
      const type = integer(pick(subscription, 'notificationType'));
      const purchaseToken = text(pick(subscription, 'purchaseToken'));
      const productId = text(pick(subscription, 'subscriptionId'));
      if (type === undefined || !purchaseToken || !productId) {
        throw new NotificationRejected('malformed', 'the subscription notification lacks its type, token or product');
      }
      if (!(await this.productOf(productId)))
        throw new NotificationRejected('unknown-event', 'the notification names a product no channel sells');
      return {
        eventType: SUBSCRIPTION_TYPES[type] ?? `SUBSCRIPTION_${type}`,
        notice: { kind: 'changed', subscriptionRef: purchaseToken, productId, notificationType: type },
      };
    }
    const voided = pick(notification, 'voidedPurchaseNotification');
    if (voided) {
      const purchaseToken = text(pick(voided, 'purchaseToken'));
      const orderId = text(pick(voided, 'orderId'));
      if (!purchaseToken || !orderId) throw new NotificationRejected('malformed', 'the voided purchase lacks its token or order');
      if (integer(pick(voided, 'productType')) !== VOIDED_SUBSCRIPTION) {
        return { eventType: 'VOIDED_PURCHASE', notice: { kind: 'ignored' } };
      }
      return { eventType: 'VOIDED_PURCHASE', notice: { kind: 'refunded', paymentRefs: [orderId], subscriptionRef: purchaseToken } };
    }
    // The Play Console's test: acknowledged, so that the console shows the endpoint working.
    if (pick(notification, 'testNotification')) return { eventType: 'TEST', notice: { kind: 'ignored' } };
    throw new NotificationRejected('unknown-event', 'developer notifications of this kind are not handled');
  }
}

export interface GooglePlayOptions {
  /** Android Publisher API's base URL: https://androidpublisher.googleapis.com (tests: a local stand-in). */
  baseUrl: string;
  packageName: string;
  /** The service account the platform calls Google Play as, from its JSON key. */
  serviceAccount: { client_email: string; private_key: string; private_key_id?: string };
  /** How long a call may take, in milliseconds. */
  timeoutMs?: number;
}

/** Minor units per unit of a currency (2 for usd, 0 for jpy), as ISO 4217 defines them. */
const fractionDigits = (currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;

/** A Money of Google's APIs ({currencyCode, units, nanos}) in minor units. */
function minorUnits(money: unknown): { amount: number; currency: string } | undefined {
  const currency = text(pick(money, 'currencyCode'));
  const units = integer(pick(money, 'units')) ?? 0;
  const nanos = integer(pick(money, 'nanos')) ?? 0;
  if (!currency || !/^[A-Z]{3}$/.test(currency)) return undefined;
  const digits = fractionDigits(currency);
  return { amount: units * 10 ** digits + Math.round(nanos / 10 ** (9 - digits)), currency: currency.toLowerCase() };
}

/**
 * Google Play's word on a subscription, asked by its purchase token: `purchases.subscriptionsv2.get` over REST,
 * authorised as the service account by a self-signed JWT (google-auth-library's JWTAccess, the audience being the
 * API's origin, as Google's own clients do for service accounts), read onto the entitlement state machine. The app
 * starts the purchase with the platform user's id as obfuscatedExternalAccountId.
 */
export class GooglePlayPurchases implements PurchaseLookup {
  readonly store = 'google';
  private readonly signer: JWTAccess;
  private readonly audience: string;

  constructor(
    private readonly options: GooglePlayOptions,
    private readonly productOf: ProductLookup,
    private readonly now: () => Date = () => new Date(),
  ) {
    const account = options.serviceAccount;
    this.signer = new JWTAccess(account.client_email, account.private_key, account.private_key_id);
    this.audience = `${new URL(options.baseUrl).origin}/`;
  }

  async current(notice: Extract<Notice, { kind: 'changed' }>): Promise<SettledNotice> {
    const purchase = await this.fetch(notice.subscriptionRef);
    const subscriptionRef = notice.subscriptionRef;
    const items = pick(purchase, 'lineItems');
    const item = (Array.isArray(items) ? items : []).find((i) => pick(i, 'productId') === notice.productId) ?? pick(items, 0);
    const expiry = text(pick(item, 'expiryTime'));
    const periodEnd = expiry && !Number.isNaN(Date.parse(expiry)) ? new Date(expiry) : undefined;
    const state = text(pick(purchase, 'subscriptionState'));
    if (notice.notificationType === SUBSCRIPTION_REVOKED) return { kind: 'state', subscriptionRef, state: 'revoked' };
    switch (state) {
      case 'SUBSCRIPTION_STATE_ACTIVE':
      case 'SUBSCRIPTION_STATE_CANCELED': {
        // Cancelled is renewal switched off: entitled until the period ends.
        if (state === 'SUBSCRIPTION_STATE_CANCELED' && (!periodEnd || periodEnd <= this.now())) {
          return { kind: 'state', subscriptionRef, state: 'expired', periodEnd };
        }
        const orderId = text(pick(item, 'latestSuccessfulOrderId')) ?? text(pick(purchase, 'latestOrderId'));
        const price = minorUnits(pick(item, 'autoRenewingPlan', 'recurringPrice'));
        return {
          kind: 'paid',
          subscriptionRef,
          subscriber: await this.subscriber(purchase, text(pick(item, 'productId')) ?? notice.productId),
          periodEnd,
          payment: state === 'SUBSCRIPTION_STATE_ACTIVE' && orderId && price ? { id: orderId, aliases: [], ...price } : undefined,
        };
      }
      case 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD':
        return { kind: 'state', subscriptionRef, state: 'grace', periodEnd };
      case 'SUBSCRIPTION_STATE_ON_HOLD':
      case 'SUBSCRIPTION_STATE_PAUSED':
        return { kind: 'state', subscriptionRef, state: 'on_hold', periodEnd };
      case 'SUBSCRIPTION_STATE_PENDING':
        return { kind: 'state', subscriptionRef, subscriber: await this.subscriber(purchase, notice.productId), state: 'pending' };
      case 'SUBSCRIPTION_STATE_EXPIRED':
      case 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED':
        return { kind: 'state', subscriptionRef, state: 'expired', periodEnd };
      default:
        return { kind: 'ignored', subscriptionRef };
    }
  }

  private async fetch(purchaseToken: string): Promise<unknown> {
    const { baseUrl, packageName } = this.options;
    const url = `${baseUrl.replace(/\/$/, '')}/androidpublisher/v3/applications/${encodeURIComponent(packageName)}/purchases/subscriptionsv2/tokens/${encodeURIComponent(purchaseToken)}`;
    const headers = this.signer.getRequestHeaders(this.audience);
    headers.set('accept', 'application/json');
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    if (!response.ok) throw new Error(`Google Play answered ${response.status} for a subscription purchase`);
    return response.json();
  }

  private async subscriber(purchase: unknown, productId: string) {
    const userId = text(pick(purchase, 'externalAccountIdentifiers', 'obfuscatedExternalAccountId'));
    const product = await this.productOf(productId);
    if (!userId || !isUuid(userId) || !product)
      throw new Error('the Google Play purchase names no platform user or a product no channel sells');
    return { userId, channelId: product.channelId, tier: product.tier };
  }
}
