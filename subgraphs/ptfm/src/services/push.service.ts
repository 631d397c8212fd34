import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import type { Logger } from '../../../../kernel/log';
import { notificationId } from '../../../../kernel/notification-id';
import type { PrismaClient } from '../data/prisma/client';
import { pushDueAt } from './preferences.service';

/** The channel the queueing of pushes NOTIFYs on commit, so that the pusher lanes start at once. */
export const PUSH_CHANNEL = 'ptfm_push';

export interface Vapid {
  subject: string;
  publicKey: string;
  privateKey: string;
}

/** Sends one encrypted push; resolves with the push service's status, rejects when it cannot be reached. */
export type PushSender = (
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
  payload: string,
) => Promise<{ statusCode: number }>;

/**
 * Web Push: `web-push` signs (VAPID, RFC 8292) and encrypts the payload for the browser (RFC 8291), and the request
 * goes out with fetch, which also reaches a push service on this machine over plain http (web-push's own sender
 * speaks https only).
 */
export function webPushSender(vapid: Vapid, timeoutMs = 10_000): PushSender {
  return async (subscription, payload) => {
    const request = webpush.generateRequestDetails(subscription, payload, { vapidDetails: vapid, TTL: 3_600 });
    const headers = Object.fromEntries(
      Object.entries(request.headers)
        .filter(([name]) => name.toLowerCase() !== 'content-length')
        .map(([name, value]) => [name, String(value)]),
    );
    const answer = await fetch(request.endpoint, {
      method: request.method,
      headers,
      body: request.body ?? undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await answer.arrayBuffer();
    return { statusCode: answer.status };
  };
}

interface Target {
  subscription_id: string;
  user_id: string;
  quiet_start: number | null;
  quiet_end: number | null;
  time_zone: string | null;
}

interface Due {
  id: string;
  subscription_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  payload: unknown;
}

/**
 * Web Push of notifications to the browsers their recipients registered. A slice's event queues one push per
 * subscription in one transaction with the event's id (so a redelivered event queues nothing twice), due at once or
 * when the user's quiet hours end; pusher lanes then send what is due. A push service answering 404 or 410 ends
 * the subscription; one that fails otherwise drops that push (the inbox holds the notification).
 */
export class PushService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly send: PushSender,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async queue(event: EventOf<'ptfm.notification.created.v1'>, group: string): Promise<{ queued: number } | 'duplicate'> {
    const { recipients, streamId, kind, channelId, broadcaster, title, category, startedAt } = event.data;
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const targets = await tx.$queryRaw<Target[]>`
        SELECT s.id::text AS subscription_id, s.user_id::text, p.quiet_start, p.quiet_end, p.time_zone
          FROM push_subscription s LEFT JOIN preference p ON p.user_id = s.user_id
         WHERE s.user_id = ANY(${recipients}::uuid[])`;
      if (targets.length === 0) return { queued: 0 };
      const at = this.now();
      await tx.pushPending.createMany({
        data: targets.map((t) => ({
          id: randomUUID(),
          subscriptionId: t.subscription_id,
          payload: {
            id: notificationId(streamId, t.user_id),
            kind,
            channelId,
            streamId,
            broadcaster: { ...broadcaster },
            title,
            category,
            startedAt,
          },
          dueAt: pushDueAt(
            at,
            t.quiet_start !== null && t.quiet_end !== null && t.time_zone
              ? { start: t.quiet_start, end: t.quiet_end, timeZone: t.time_zone }
              : null,
          ),
        })),
      });
      await tx.$executeRawUnsafe(`SELECT pg_notify('${PUSH_CHANNEL}', '')`);
      return { queued: targets.length };
    });
  }

  /** Sends up to `batch` due pushes; null when none is due. */
  async sendDue(batch = 100): Promise<{ sent: number; gone: number } | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const due = await tx.$queryRaw<Due[]>`
          SELECT q.id::text, q.subscription_id::text, s.endpoint, s.p256dh, s.auth, q.payload
            FROM push_pending q JOIN push_subscription s ON s.id = q.subscription_id
           WHERE q.due_at <= ${this.now()}
           ORDER BY q.due_at
           LIMIT ${batch}
           FOR UPDATE OF q SKIP LOCKED`;
        if (due.length === 0) return null;
        const outcomes = await Promise.all(
          due.map(async (push) => {
            try {
              const { statusCode } = await this.send(
                { endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } },
                JSON.stringify(push.payload),
              );
              if (statusCode === 404 || statusCode === 410) return 'gone';
              if (statusCode >= 300) this.logger.warn({ statusCode, subscriptionId: push.subscription_id }, 'push refused; dropped');
              return 'sent';
            } catch (error) {
              this.logger.warn({ err: error, subscriptionId: push.subscription_id }, 'push service unreachable; push dropped');
              return 'sent';
            }
          }),
        );
        const gone = due.filter((_, i) => outcomes[i] === 'gone').map((push) => push.subscription_id);
        await tx.pushPending.deleteMany({ where: { id: { in: due.map((push) => push.id) } } });
        if (gone.length) {
          await tx.pushPending.deleteMany({ where: { subscriptionId: { in: gone } } });
          await tx.pushSubscription.deleteMany({ where: { id: { in: gone } } });
        }
        return { sent: due.length - gone.length, gone: gone.length };
      },
      // Push services are other companies' servers: a batch waits for the slowest of them (web-push's timeout).
      { maxWait: 10_000, timeout: 60_000 },
    );
  }
}
