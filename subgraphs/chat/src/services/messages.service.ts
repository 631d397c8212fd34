import { randomUUID } from 'node:crypto';
import { actingUser, requireScope, requireVerifiedEmail } from '../../../../kernel/access';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import type { Logger } from '../../../../kernel/log';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, pageSize, rowsAfter, toPage, type Page } from '../../../../kernel/paging';
import { recordEvent, type Message, type Room } from '../data/db';
import type { ChatterNames } from './chatters.service';
import { insertMessage, readSendContext, type SendContext } from '../data/message-intake';
import type { PrismaClient } from '../data/prisma/client';
import type { ChatLimiter } from './chat-limiter';
import type { RefusalCounter } from './refusals';
import { type RoomsService, type Standing, standingOf } from './rooms.service';
import {
  comparableText,
  findBlockedTerm,
  mentionedLogins,
  normaliseMessage,
  onlyEmotes,
  parseFragments,
  words,
  type Fragment,
} from './text';

/** Unique-chat and the duplicate check look this far back, as Twitch does. */
export const REPEAT_WINDOW_SECONDS = 30;

export type MessagesPage = Page<Message>;

/** An accepted message, with the sender's names it was sent under. */
export type SentMessage = Message & { sender: ChatterNames };

/** Sending, reading and deleting messages. */
export class MessagesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly rooms: RoomsService,
    private readonly limiter: ChatLimiter,
    private readonly refusals?: RefusalCounter,
  ) {}

  /**
   * Accepts a message or refuses it with the first rule it breaks; a refused message is neither stored nor
   * broadcast, and only accepted ones count against the sender's rate. Refusals are counted for account analysis
   * (RefusalCounter), which never costs a database write per refusal.
   */
  async send(
    identity: Identity,
    channelId: string,
    rawText: string,
    replyToId: string | null | undefined,
    log?: Logger,
  ): Promise<SentMessage> {
    const senderId = actingUser(identity);
    requireScope(identity, 'chat:edit');
    try {
      return await this.accept(senderId, identity, channelId, rawText, replyToId);
    } catch (error) {
      if (this.refusals && error instanceof DomainError) await this.refusals.refused(senderId, error.code, log);
      throw error;
    }
  }

  private async accept(
    senderId: string,
    identity: Identity,
    channelId: string,
    rawText: string,
    replyToId: string | null | undefined,
  ): Promise<SentMessage> {
    let text: string;
    try {
      text = normaliseMessage(rawText);
    } catch (error) {
      // A missing room is named before the text's faults, as a client fixes them in that order.
      await this.rooms.get(channelId);
      throw error;
    }
    const replyTo = replyToId ?? null;
    const comparable = comparableText(text);
    const context =
      isUuid(channelId) && isUuid(senderId)
        ? await readSendContext(this.prisma, {
            channelId,
            senderId,
            replyToId: replyTo !== null && isUuid(replyTo) ? replyTo : null,
            comparableText: comparable,
            words: words(text),
            logins: mentionedLogins(text),
            windowSeconds: REPEAT_WINDOW_SECONDS,
          })
        : null;
    if (!context) throw new DomainError('CHAT_ROOM_NOT_FOUND', 'this channel has no chat room');
    const { room } = context;
    const standing = standingOf(room, senderId, context.roles, context.subscriber);
    // As Twitch's verified-email chat rule: the room's broadcaster and moderators are exempt.
    if (!standing.moderator) requireVerifiedEmail(identity);
    if (room.ownerId !== senderId) refuseBanned(context.ban);
    const { sender } = context;
    if (!sender) throw new DomainError('UNAVAILABLE', 'your chat identity is still being set up, retry in a moment', { retryAfter: 1 });
    if (replyTo !== null && !context.replyVisible) throw messageNotFound();
    const fragments = fragmentsOf(text, context);
    enforceModes(room, standing, text, fragments, context);
    if (context.repeatedBySender) {
      throw new DomainError('CHAT_DUPLICATE', `you sent this message less than ${REPEAT_WINDOW_SECONDS} seconds ago`);
    }
    await this.limiter.consume(room.channelId, senderId, standing.moderator, {
      viewerMessages: context.platform?.viewerMessagesPer30s ?? undefined,
      moderatorMessages: context.platform?.moderatorMessagesPer30s ?? undefined,
    });
    const id = randomUUID();
    const { message } = await insertMessage(
      this.prisma,
      {
        id,
        channelId: room.channelId,
        senderId,
        text,
        comparableText: comparable,
        replyToId: replyTo,
        fragments: fragments as object[],
        badges: standing.badges,
      },
      (sentAt) => ({
        messageId: id,
        channelId: room.channelId,
        senderId,
        senderLogin: sender.login,
        senderDisplayName: sender.displayName,
        text,
        replyToId: replyTo,
        fragments,
        badges: standing.badges,
        sentAt,
      }),
    );
    return { ...message, sender: { userId: senderId, ...sender } };
  }

  /**
   * A room's history, newest first, keyset-paginated on (sent at, id): deleted messages, messages from before the
   * last clear and messages of users banned or timed out right now are left out.
   */
  async history(room: Room, first: number | null | undefined, before: string | null | undefined): Promise<MessagesPage> {
    const size = pageSize(first, 50);
    const cursor = decodeCursor(before, 'before');
    const banned = await this.prisma.ban.findMany({
      where: { channelId: room.channelId, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      select: { userId: true },
    });
    const visible = {
      channelId: room.channelId,
      deletedAt: null,
      ...(room.clearedAt && { sentAt: { gt: room.clearedAt } }),
      ...(banned.length && { senderId: { notIn: banned.map((b) => b.userId) } }),
    };
    const [rows, totalCount] = await Promise.all([
      this.prisma.message.findMany({
        where: {
          ...visible,
          ...(cursor && { AND: [rowsAfter(cursor, 'sentAt', 'id', 'desc')] }),
        },
        orderBy: [{ sentAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      }),
      this.prisma.message.count({ where: visible }),
    ]);
    return toPage(rows, size, totalCount, (m) => ({ at: m.sentAt, id: m.id }));
  }

  async byIds(ids: readonly string[]): Promise<(Message | null)[]> {
    const rows = await this.prisma.message.findMany({ where: { id: { in: [...new Set(ids.filter(isUuid))] }, deletedAt: null } });
    const byId = new Map(rows.map((m) => [m.id, m]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A moderator deletes one message; it leaves the history and its deletion is broadcast. */
  async delete(identity: Identity, channelId: string, messageId: string): Promise<Message> {
    const { room, moderatorId } = await this.rooms.moderate(identity, channelId, 'moderator:manage:chat_messages');
    const message = await this.visible(room, messageId);
    const deletedAt = new Date();
    return this.prisma.$transaction(async (tx) => {
      const deleted = await tx.message.update({ where: { id: message.id }, data: { deletedAt, deletedBy: moderatorId } });
      await recordEvent(tx, 'chat.message.deleted.v1', room.channelId, {
        messageId: deleted.id,
        channelId: room.channelId,
        senderId: deleted.senderId,
        deletedBy: moderatorId,
        deletedAt: deletedAt.toISOString(),
      });
      return deleted;
    });
  }

  /** A live message of the room: not deleted, not cleared. */
  private async visible(room: Room, messageId: string): Promise<Message> {
    const message = isUuid(messageId) ? await this.prisma.message.findUnique({ where: { id: messageId } }) : null;
    if (!message || message.channelId !== room.channelId || message.deletedAt || (room.clearedAt && message.sentAt <= room.clearedAt)) {
      throw messageNotFound();
    }
    return message;
  }
}

const messageNotFound = () =>
  new DomainError('CHAT_MESSAGE_NOT_FOUND', 'no such message in this room', {
    fields: [{ field: 'messageId', message: 'is not a live message of this room' }],
  });

function refuseBanned(ban: SendContext['ban']): void {
  if (!ban) return;
  if (!ban.expiresAt) throw new DomainError('CHAT_BANNED', 'you are banned from this chat room');
  const left = ban.expiresAt.getTime() - Date.now();
  if (left > 0) throw new DomainError('CHAT_TIMED_OUT', 'you are timed out in this chat room', { retryAfter: Math.ceil(left / 1000) });
}

function fragmentsOf(text: string, context: SendContext): Fragment[] {
  const byCode = new Map<string, string>();
  // The channel's emote wins over a global one of the same code: rows come channel first.
  for (const emote of context.emotes) if (!byCode.has(emote.code)) byCode.set(emote.code, emote.id);
  return parseFragments(text, { emotes: byCode, users: new Map(context.mentions.map((u) => [u.login, u.userId])) });
}

/** The room's modes, in the order a viewer would fix them; the broadcaster and moderators are exempt. */
function enforceModes(room: Room, standing: Standing, text: string, fragments: Fragment[], context: SendContext): void {
  if (standing.moderator) return;
  if (room.followersOnlyMinutes !== null && !standing.vip) {
    const { follower } = context;
    const minAge = room.followersOnlyMinutes * 60_000;
    if (!follower?.active || Date.now() - follower.followedAt.getTime() < minAge) {
      throw new DomainError(
        'CHAT_FOLLOWERS_ONLY',
        room.followersOnlyMinutes === 0
          ? 'this room is in followers-only mode: follow the channel to chat'
          : `this room is in followers-only mode: you must have followed for ${room.followersOnlyMinutes} minutes`,
      );
    }
  }
  if (room.subscriberOnly && !standing.subscriber) {
    throw new DomainError('CHAT_SUBSCRIBERS_ONLY', 'this room is in subscriber-only mode: subscribe to the channel to chat');
  }
  if (room.emoteOnly && !onlyEmotes(fragments)) {
    throw new DomainError('CHAT_EMOTE_ONLY', 'this room is in emote-only mode: send emotes only');
  }
  if (room.slowModeSeconds !== null && !standing.vip) {
    const wait = context.lastSentAt ? context.lastSentAt.getTime() + room.slowModeSeconds * 1000 - Date.now() : 0;
    if (wait > 0) {
      throw new DomainError('CHAT_SLOW_MODE', `this room is in slow mode: one message every ${room.slowModeSeconds} seconds`, {
        retryAfter: Math.ceil(wait / 1000),
      });
    }
  }
  // The room's own terms and the platform's, which hold in every room.
  if (findBlockedTerm(text, [...context.blockedTerms, ...(context.platform?.blockedTerms ?? [])])) {
    throw new DomainError('CHAT_BLOCKED_TERM', 'your message contains a term blocked in this room');
  }
  if (room.uniqueChat && context.repeatedInRoom) {
    throw new DomainError(
      'CHAT_UNIQUE_CHAT',
      `this room is in unique-chat mode: this message was sent less than ${REPEAT_WINDOW_SECONDS} seconds ago`,
    );
  }
}
