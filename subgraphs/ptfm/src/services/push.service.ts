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

/**
 * Sends one encrypted push; resolves with the push service's status (and its Retry-After, in seconds, when it gave
 * one), rejects when it cannot be reached.
 */
export type PushSender = (
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
  payload: string,
) => Promise<{ statusCode: number; retryAfterSeconds?: number }>;

/** Tries of one push before it is dropped: with the doubling delays below, about a quarter of an hour in all. */
export const PUSH_MAX_ATTEMPTS = 5;
const FIRST_RETRY_SECONDS = 30;
/** A go-live push older than this is no news: no Retry-After holds one back longer (web-push's TTL is the same). */
const MAX_RETRY_SECONDS = 3_600;

/** When a push the push service could not take now is tried again: its Retry-After if any, else doubling delays. */
export function retryDelaySeconds(attempts: number, retryAfterSeconds?: number): number {
  const delay = retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? retryAfterSeconds : FIRST_RETRY_SECONDS * 2 ** (attempts - 1);
  return Math.min(delay, MAX_RETRY_SECONDS);
}

/** Retry-After as seconds (RFC 9110: delay-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

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
    return { statusCode: answer.status, retryAfterSeconds: parseRetryAfter(answer.headers.get('retry-after')) };
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
  attempts: number;
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
 * the subscription. One that cannot take it now (unreachable, timed out, 429 or 5xx) gets it again later, after its
 * Retry-After or doubling delays, up to PUSH_MAX_ATTEMPTS tries; any other refusal (a 4xx: the push itself is
 * wrong) drops it at once. A dropped push is not a lost notification: the inbox holds it.
 */
export class PushService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly send: PushSender,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async queue(event: EventOf<'ptfm.notification.created.v1'>, group: string): Promise<{ queued: number } | 'duplicate'> {
    const { recipients, streamId, kind, channelId, broadcaster, title, category, thumbnailUrl, startedAt } = event.data;
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
            thumbnailUrl: thumbnailUrl ?? null,
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
  async sendDue(batch = 100): Promise<{ sent: number; gone: number; retried: number; dropped: number } | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const now = this.now();
        const due = await tx.$queryRaw<Due[]>`
          SELECT q.id::text, q.attempts, q.subscription_id::text, s.endpoint, s.p256dh, s.auth, q.payload
            FROM push_pending q JOIN push_subscription s ON s.id = q.subscription_id
           WHERE q.due_at <= ${now}
           ORDER BY q.due_at
           LIMIT ${batch}
           FOR UPDATE OF q SKIP LOCKED`;
        if (due.length === 0) return null;
        const outcomes = await Promise.all(due.map((push) => this.sendOne(push)));
        const retries = due.flatMap((push, i) => {
          const outcome = outcomes[i];
          return typeof outcome === 'object' && push.attempts + 1 < PUSH_MAX_ATTEMPTS ? [{ push, outcome }] : [];
        });
        for (const { push, outcome } of retries) {
          const attempts = push.attempts + 1;
          await tx.pushPending.update({
            where: { id: push.id },
            data: { attempts, dueAt: new Date(now.getTime() + retryDelaySeconds(attempts, outcome.retryAfterSeconds) * 1000) },
          });
        }
        const exhausted = due.filter((push, i) => typeof outcomes[i] === 'object' && push.attempts + 1 >= PUSH_MAX_ATTEMPTS);
        for (const push of exhausted) {
          this.logger.warn(
            { subscriptionId: push.subscription_id, attempts: PUSH_MAX_ATTEMPTS },
            'push not taken after every try; dropped',
          );
        }
        const retried = new Set(retries.map((r) => r.push.id));
        const gone = due.filter((_, i) => outcomes[i] === 'gone').map((push) => push.subscription_id);
        await tx.pushPending.deleteMany({ where: { id: { in: due.filter((push) => !retried.has(push.id)).map((push) => push.id) } } });
        if (gone.length) {
          await tx.pushPending.deleteMany({ where: { subscriptionId: { in: gone } } });
          await tx.pushSubscription.deleteMany({ where: { id: { in: gone } } });
        }
        const count = (wanted: string) => outcomes.filter((o) => o === wanted).length;
        return { sent: count('sent'), gone: gone.length, retried: retries.length, dropped: count('dropped') + exhausted.length };
      },
      // Push services are other companies' servers: a batch waits for the slowest of them (web-push's timeout).
      { maxWait: 10_000, timeout: 60_000 },
    );
  }

  /** One push: taken, gone (the subscription ended), dropped (refused for good), or to be tried again. */
  private async sendOne(push: Due): Promise<'sent' | 'gone' | 'dropped' | { retryAfterSeconds?: number }> {
    const log = { subscriptionId: push.subscription_id, attempt: push.attempts + 1 };
    try {
      const { statusCode, retryAfterSeconds } = await this.send(
        { endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } },
        JSON.stringify(push.payload),
      );
      if (statusCode === 404 || statusCode === 410) return 'gone';
      if (statusCode === 429 || statusCode >= 500) {
        this.logger.warn({ ...log, statusCode }, 'push service cannot take the push now; tried again later');
        return { retryAfterSeconds };
      }
      if (statusCode >= 300) {
        this.logger.warn({ ...log, statusCode }, 'push refused; dropped');
        return 'dropped';
      }
      return 'sent';
    } catch (error) {
      this.logger.warn({ ...log, err: error }, 'push service unreachable; tried again later');
      return {};
    }
  }
}
