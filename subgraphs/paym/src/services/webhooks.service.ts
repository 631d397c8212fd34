import { randomUUID } from 'node:crypto';
import { DomainError, type ErrorCode } from '../../../../kernel/errors';
import { type PrismaClient, recordEvent } from '../data/db';
import { type Notice, NotificationRejected, type NotificationVerifier, type Store, type StoreNotification } from '../stores/port';
import type { ProductsService } from './products.service';

const REJECTION_CODES: Record<NotificationRejected['reason'], ErrorCode> = {
  signature: 'PAYM_WEBHOOK_SIGNATURE_INVALID',
  stale: 'PAYM_WEBHOOK_STALE',
  malformed: 'PAYM_WEBHOOK_MALFORMED',
  'unknown-event': 'PAYM_WEBHOOK_UNKNOWN_EVENT',
};

const subscriptionRefOf = (notice: Notice): string | undefined => ('subscriptionRef' in notice ? notice.subscriptionRef : undefined);

/**
 * The stores' inbox: a notification is verified on the bytes the store sent, then recorded once per store event id
 * with its paym.webhook.received.v1 in the same transaction; the store is answered only after that commit, so a
 * notification it saw acknowledged is never lost, and one it retries is recorded once. Applying it to the
 * entitlement is paym-webhooks-wkr's job, never the request's.
 */
export class WebhooksService {
  private readonly verifiers: Map<string, NotificationVerifier>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly products: ProductsService,
    verifiers: NotificationVerifier[],
  ) {
    this.verifiers = new Map(verifiers.map((v) => [v.store, v]));
  }

  async receive(
    store: string,
    payloadBase64: string,
    headers: { signature?: string | null; authorization?: string | null },
  ): Promise<{ id: string; duplicate: boolean }> {
    const verifier = this.verifiers.get(store);
    if (!verifier) throw new DomainError('PAYM_STORE_UNKNOWN', `no notifications are taken from ${store.slice(0, 40)} here`);
    let notification: StoreNotification;
    try {
      notification = await verifier.verify(Buffer.from(payloadBase64, 'base64'), {
        signature: headers.signature ?? undefined,
        authorization: headers.authorization ?? undefined,
      });
    } catch (error) {
      if (error instanceof NotificationRejected) throw new DomainError(REJECTION_CODES[error.reason], error.message);
      throw error;
    }
    await this.refuseUnknownProduct(notification.notice);
    return this.record(notification);
  }

  /** A notification naming a tier the channel does not sell is refused before anything is recorded. */
  private async refuseUnknownProduct(notice: Notice): Promise<void> {
    const subscriber = 'subscriber' in notice ? notice.subscriber : undefined;
    if (subscriber && !(await this.products.find(subscriber.channelId, subscriber.tier))) {
      throw new DomainError('PAYM_WEBHOOK_UNKNOWN_EVENT', 'the notification names a product no channel sells');
    }
  }

  private record(notification: StoreNotification): Promise<{ id: string; duplicate: boolean }> {
    const { store, eventId, eventType, occurredAt, notice, payload } = notification;
    const id = randomUUID();
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.webhookInbox.createMany({
        data: [{ id, store, eventId, eventType, occurredAt, notice: notice as object, payload }],
        skipDuplicates: true,
      });
      if (!inserted.count) {
        const first = await tx.webhookInbox.findUniqueOrThrow({ where: { store_eventId: { store, eventId } }, select: { id: true } });
        return { id: first.id, duplicate: true };
      }
      await recordEvent(tx, 'paym.webhook.received.v1', `${store}:${subscriptionRefOf(notice) ?? eventId}`, {
        inboxId: id,
        store: store as Store,
        storeEventId: eventId,
        eventType,
        storeOccurredAt: occurredAt.toISOString(),
      });
      return { id, duplicate: false };
    });
  }
}
