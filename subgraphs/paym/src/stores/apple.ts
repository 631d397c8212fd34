import { Environment, SignedDataVerifier, VerificationException } from '@apple/app-store-server-library';
import { isUuid } from '../../../../kernel/ids';
import { fromMillis, integer, pick, text } from './read';
import { type Notice, NotificationRejected, type NotificationVerifier, type StoreNotification, type Subscriber } from './port';

/** The tier a store product id sells, or null when no channel sells it. */
export type ProductLookup = (storeProductId: string) => Promise<Pick<Subscriber, 'channelId' | 'tier'> | null>;

export interface AppleOptions {
  /** DER certificates of the roots the x5c chain must lead to: Apple's Root CA G3 in production. */
  roots: Buffer[];
  bundleId: string;
  environment: 'Production' | 'Sandbox';
  /** The app's Apple id, required by the library in production. */
  appAppleId?: number;
}

/**
 * App Store Server Notifications V2, verified by Apple's own library: `signedPayload` and the transaction inside it
 * are JWS signed by a leaf certificate whose x5c chain must lead to a configured root, for the configured bundle
 * and environment. The chain is checked offline at the notification's signing date (no OCSP: nothing leaves the
 * machine). The app sets the platform user's id as the purchase's appAccountToken, and the product id names the
 * channel's tier.
 */
export class AppleNotifications implements NotificationVerifier {
  readonly store = 'apple';
  private readonly verifier: SignedDataVerifier;

  constructor(
    options: AppleOptions,
    private readonly productOf: ProductLookup,
  ) {
    this.verifier = new SignedDataVerifier(
      options.roots,
      false,
      options.environment === 'Production' ? Environment.PRODUCTION : Environment.SANDBOX,
      options.bundleId,
      options.appAppleId,
    );
  }

  async verify(raw: Buffer): Promise<StoreNotification> {
    let signedPayload: string | undefined;
    try {
      signedPayload = text(pick(JSON.parse(raw.toString('utf8')), 'signedPayload'));
    } catch {}
    if (!signedPayload) throw new NotificationRejected('malformed', 'the body has no signedPayload');
    const notification = await this.decode(() => this.verifier.verifyAndDecodeNotification(signedPayload));
    const eventId = text(notification.notificationUUID);
    const occurredAt = fromMillis(notification.signedDate);
    const type = text(notification.notificationType);
    if (!eventId || !occurredAt || !type) throw new NotificationRejected('malformed', 'the notification lacks its UUID, type or date');
    const signedTransaction = text(pick(notification, 'data', 'signedTransactionInfo'));
    if (!signedTransaction) throw new NotificationRejected('unknown-event', `${type} notifications without a transaction are not handled`);
    const transaction = await this.decode(() => this.verifier.verifyAndDecodeTransaction(signedTransaction));
    return {
      store: 'apple',
      eventId,
      eventType: notification.subtype ? `${type}.${notification.subtype}` : type,
      occurredAt,
      notice: await this.notice(type, text(notification.subtype), transaction),
      payload: { notificationType: type, subtype: notification.subtype ?? null, notificationUUID: eventId, transaction },
    };
  }

  private async decode<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      if (error instanceof VerificationException)
        throw new NotificationRejected('signature', `App Store verification failed (status ${error.status})`);
      throw error;
    }
  }

  private async notice(type: string, subtype: string | undefined, transaction: unknown): Promise<Notice> {
    const subscriptionRef = text(pick(transaction, 'originalTransactionId'));
    const transactionId = text(pick(transaction, 'transactionId'));
    if (!subscriptionRef || !transactionId) throw new NotificationRejected('malformed', 'the transaction lacks its ids');
    const periodEnd = fromMillis(pick(transaction, 'expiresDate'));
    switch (type) {
      case 'SUBSCRIBED':
      case 'DID_RENEW': {
        const price = integer(pick(transaction, 'price'));
        const currency = text(pick(transaction, 'currency'));
        return {
          kind: 'paid',
          subscriptionRef,
          subscriber: await this.subscriber(transaction),
          periodEnd,
          // Apple's prices are in milliunits of the currency: minor units are a tenth of them.
          payment:
            price !== undefined && currency
              ? { id: transactionId, aliases: [], amount: Math.round(price / 10), currency: currency.toLowerCase() }
              : undefined,
        };
      }
      case 'DID_FAIL_TO_RENEW':
        return { kind: 'state', subscriptionRef, state: subtype === 'GRACE_PERIOD' ? 'grace' : 'on_hold', periodEnd };
      case 'EXPIRED':
      case 'GRACE_PERIOD_EXPIRED':
        return { kind: 'state', subscriptionRef, state: 'expired' };
      case 'REFUND':
        return { kind: 'refunded', paymentRefs: [transactionId], subscriptionRef };
      case 'REVOKE':
        return { kind: 'state', subscriptionRef, state: 'revoked' };
      case 'DID_CHANGE_RENEWAL_STATUS':
        return { kind: 'ignored', subscriptionRef };
      default:
        throw new NotificationRejected('unknown-event', `App Store notifications of type ${type.slice(0, 60)} are not handled`);
    }
  }

  private async subscriber(transaction: unknown): Promise<Subscriber> {
    const userId = text(pick(transaction, 'appAccountToken'));
    const productId = text(pick(transaction, 'productId'));
    const product = productId ? await this.productOf(productId) : null;
    if (!userId || !isUuid(userId) || !product) {
      throw new NotificationRejected('unknown-event', 'the purchase names no platform user or a product no channel sells');
    }
    return { userId, ...product };
  }
}
