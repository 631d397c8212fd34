import type { DomainError } from '../../../../kernel/errors';
import { outboxBatchOf } from '../../../../kernel/outbox/record';
import { CHAT_SCHEMA, type Message } from '../data/db';
import type { PrismaClient } from '../data/prisma/client';
import type { Badge } from './rooms.service';
import type { Fragment } from './text';

/** An accepted message, everything but the instant it is stored at. */
export interface MessageDraft {
  id: string;
  channelId: string;
  senderId: string;
  senderLogin: string;
  senderDisplayName: string;
  text: string;
  comparableText: string;
  replyToId: string | null;
  fragments: Fragment[];
  badges: Badge[];
  /** The trace of the request that sent it, for the consumers of its event. */
  headers: Record<string, string>;
}

/** A rule a message holds while it is checked and stored: a second message claiming the same key meanwhile is refused. */
export interface Claim {
  key: string;
  refusal: () => DomainError;
}

interface Entry {
  draft: MessageDraft;
  resolve: (message: Message) => void;
  reject: (error: unknown) => void;
}

/** The most messages one transaction stores. */
const MAX_BATCH = 256;
/** Rooms whose last instant is older than this are forgotten once the table grows past ROOMS_KEPT. */
const ROOMS_KEPT = 10_000;

const recordEvents = outboxBatchOf(CHAT_SCHEMA);

/**
 * Group commit of the chat domain's messages: the messages accepted while a transaction is in flight are stored
 * together by the next one, their rows and their chat.message.created.v1 outbox rows in one multi-row insert each
 * and one NOTIFY, and each sender is answered once that transaction has committed (a message is never answered
 * before it is stored, so a crash before the commit stores and publishes none of the batch, and one after it
 * stores and publishes all of it). One transaction at a time, in the order the messages were accepted: each room's
 * messages get strictly increasing `sentAt` instants and outbox rows in the same order, so the history (sent at, id)
 * and the published order agree. A batch the database refuses is written again message by message, so one bad
 * message fails only its own sender.
 *
 * The duplicate, unique-chat and slow-mode rules read the stored messages; the claims make them hold for messages
 * still being checked or waiting for their transaction too, which the stored rows do not show yet.
 */
export class MessageWriter {
  private queue: Entry[] = [];
  private writing = false;
  private readonly claimed = new Set<string>();
  private readonly lastSentAt = new Map<string, number>();

  constructor(private readonly prisma: PrismaClient) {}

  /** Holds the keys until the returned release is called, or refuses with the first key already held. */
  claim(claims: Claim[]): () => void {
    const held = claims.find((c) => this.claimed.has(c.key));
    if (held) throw held.refusal();
    for (const c of claims) this.claimed.add(c.key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const c of claims) this.claimed.delete(c.key);
    };
  }

  /** Stores the message with its event; resolves once the transaction that stored it has committed. */
  write(draft: MessageDraft): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // The messages accepted in the same turn of the event loop go in the first transaction together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        this.settle(batch, await this.store(batch.map((e) => e.draft)));
      } catch (error) {
        if (batch.length === 1) batch[0].reject(error);
        else for (const entry of batch) await this.store([entry.draft]).then((stored) => this.settle([entry], stored), entry.reject);
      }
    }
    this.writing = false;
  }

  private settle(batch: Entry[], stored: Message[]): void {
    for (const [i, entry] of batch.entries()) entry.resolve(stored[i]);
  }

  private async store(drafts: MessageDraft[]): Promise<Message[]> {
    const messages: Message[] = drafts.map((d) => ({
      id: d.id,
      channelId: d.channelId,
      senderId: d.senderId,
      text: d.text,
      comparableText: d.comparableText,
      replyToId: d.replyToId,
      fragments: d.fragments as object[],
      badges: d.badges,
      sentAt: this.nextInstant(d.channelId),
      deletedAt: null,
      deletedBy: null,
    }));
    await this.prisma.$transaction(async (tx) => {
      await tx.message.createMany({
        data: messages.map(({ deletedAt: _deletedAt, deletedBy: _deletedBy, ...row }, i) => ({
          ...row,
          fragments: drafts[i].fragments as object[],
        })),
      });
      await recordEvents(
        tx,
        drafts.map((d, i) => ({
          topic: 'chat.message.created.v1' as const,
          key: d.channelId,
          headers: d.headers,
          data: {
            messageId: d.id,
            channelId: d.channelId,
            senderId: d.senderId,
            senderLogin: d.senderLogin,
            senderDisplayName: d.senderDisplayName,
            text: d.text,
            replyToId: d.replyToId,
            fragments: d.fragments,
            badges: d.badges,
            sentAt: messages[i].sentAt.toISOString(),
          },
        })),
      );
    });
    return messages;
  }

  /**
   * Now, or a millisecond after the room's previous message when that is not earlier (`sent_at` keeps
   * milliseconds): a room's messages never share an instant, so the history orders them as they were stored.
   */
  private nextInstant(channelId: string): Date {
    const now = Date.now();
    const at = Math.max(now, (this.lastSentAt.get(channelId) ?? 0) + 1);
    if (this.lastSentAt.size >= ROOMS_KEPT) {
      for (const [room, last] of this.lastSentAt) if (last < now) this.lastSentAt.delete(room);
    }
    this.lastSentAt.set(channelId, at);
    return new Date(at);
  }
}
