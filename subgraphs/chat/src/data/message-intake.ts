import { makeEvent, type EventData, type EventOf } from '../../../../kernel/events';
import { outboxRowSql } from '../../../../kernel/outbox/record';
import { CHAT_SCHEMA, type Message, type Room } from './db';
import type { PrismaClient } from './prisma/client';

/**
 * Everything the rules of a message read, in one round trip. A message used to cost a dozen queries before its
 * transaction (room, roles, subscription, ban, chatter, emotes, mentions, platform defaults, follow, last message,
 * blocked terms, two repeat checks): on this path each query's cost in the client was most of the chat domain's CPU
 * per message. Each part is a lookup on a key or an index of its table, and the rules still apply in
 * MessagesService, in their order.
 */
export interface SendContext {
  room: Room;
  /** The sender's active roles in the room (`moderator`, `vip`). */
  roles: string[];
  subscriber: boolean;
  ban: { expiresAt: Date | null } | null;
  /** The sender's chat identity (the user.account.created.v1 projection), null until it arrives. */
  sender: { login: string; displayName: string } | null;
  /** The reply's target is a live message of this room (false without one). */
  replyVisible: boolean;
  /** Emotes whose code is one of the words, the channel's before the global ones. */
  emotes: { code: string; id: string }[];
  /** Chatters whose login is mentioned. */
  mentions: { login: string; userId: string }[];
  platform: { blockedTerms: string[]; viewerMessagesPer30s: number | null; moderatorMessagesPer30s: number | null } | null;
  /** The room's own blocked terms. */
  blockedTerms: string[];
  follower: { active: boolean; followedAt: Date } | null;
  /** When the sender last sent a message to the room (slow mode). */
  lastSentAt: Date | null;
  /** The same comparable text from the sender within the repeat window (the duplicate rule). */
  repeatedBySender: boolean;
  /** The same comparable text from anyone within the window, read only when the room is in unique-chat mode. */
  repeatedInRoom: boolean;
}

export interface SendLookup {
  channelId: string;
  senderId: string;
  replyToId: string | null;
  comparableText: string;
  words: string[];
  logins: string[];
  windowSeconds: number;
}

interface ContextRow {
  channel_id: string;
  owner_id: string;
  slow_mode_seconds: number | null;
  followers_only_minutes: number | null;
  emote_only: boolean;
  unique_chat: boolean;
  subscriber_only: boolean;
  cleared_at: Date | null;
  created_at: Date;
  updated_at: Date;
  roles: string[];
  subscriber: boolean;
  banned: boolean;
  ban_expires_at: Date | null;
  sender_login: string | null;
  sender_display_name: string | null;
  reply_visible: boolean;
  emotes: { code: string; id: string }[] | null;
  mentions: { login: string; userId: string }[] | null;
  platform_found: boolean;
  platform_blocked_terms: string[] | null;
  viewer_messages_per_30s: number | null;
  moderator_messages_per_30s: number | null;
  blocked_terms: string[];
  followed: boolean;
  follower_active: boolean | null;
  followed_at: Date | null;
  last_sent_at: Date | null;
  repeated_by_sender: boolean;
  repeated_in_room: boolean;
}

/** The context of a message to `channelId`, or null when the channel has no room. */
export async function readSendContext(prisma: PrismaClient, lookup: SendLookup): Promise<SendContext | null> {
  const { channelId, senderId, replyToId, comparableText, words, logins, windowSeconds } = lookup;
  const rows = await prisma.$queryRaw<ContextRow[]>`
    SELECT r.channel_id::text, r.owner_id::text, r.slow_mode_seconds, r.followers_only_minutes, r.emote_only, r.unique_chat,
      r.subscriber_only, r.cleared_at, r.created_at, r.updated_at,
      ARRAY(SELECT role FROM room_role WHERE channel_id = r.channel_id AND user_id = ${senderId}::uuid AND active) AS roles,
      COALESCE(s.active, false) AS subscriber,
      b.user_id IS NOT NULL AS banned, b.expires_at AS ban_expires_at,
      c.login AS sender_login, c.display_name AS sender_display_name,
      EXISTS (
        SELECT 1 FROM message m
        WHERE m.id = ${replyToId}::uuid AND m.channel_id = r.channel_id AND m.deleted_at IS NULL
          AND (r.cleared_at IS NULL OR m.sent_at > r.cleared_at)
      ) AS reply_visible,
      (
        SELECT json_agg(json_build_object('code', e.code, 'id', e.id) ORDER BY e.channel_id NULLS LAST)
        FROM emote e WHERE e.code = ANY(${words}::text[]) AND (e.channel_id IS NULL OR e.channel_id = r.channel_id)
      ) AS emotes,
      (
        SELECT json_agg(json_build_object('login', u.login, 'userId', u.user_id))
        FROM chatter u WHERE u.login = ANY(${logins}::text[])
      ) AS mentions,
      p.id IS NOT NULL AS platform_found, p.blocked_terms AS platform_blocked_terms,
      p.viewer_messages_per_30s, p.moderator_messages_per_30s,
      ARRAY(SELECT term FROM blocked_term WHERE channel_id = r.channel_id) AS blocked_terms,
      f.user_id IS NOT NULL AS followed, f.active AS follower_active, f.followed_at,
      (
        SELECT m.sent_at FROM message m WHERE m.channel_id = r.channel_id AND m.sender_id = ${senderId}::uuid
        ORDER BY m.sent_at DESC LIMIT 1
      ) AS last_sent_at,
      EXISTS (
        SELECT 1 FROM message m
        WHERE m.channel_id = r.channel_id AND m.sender_id = ${senderId}::uuid
          AND m.sent_at > now() - make_interval(secs => ${windowSeconds}) AND m.comparable_text = ${comparableText}
      ) AS repeated_by_sender,
      CASE WHEN r.unique_chat THEN EXISTS (
        SELECT 1 FROM message m
        WHERE m.channel_id = r.channel_id
          AND m.sent_at > now() - make_interval(secs => ${windowSeconds}) AND m.comparable_text = ${comparableText}
      ) ELSE false END AS repeated_in_room
    FROM room r
    LEFT JOIN chatter c ON c.user_id = ${senderId}::uuid
    LEFT JOIN ban b ON b.channel_id = r.channel_id AND b.user_id = ${senderId}::uuid
    LEFT JOIN subscriber s ON s.channel_id = r.channel_id AND s.user_id = ${senderId}::uuid
    LEFT JOIN follower f ON f.channel_id = r.channel_id AND f.user_id = ${senderId}::uuid
    LEFT JOIN platform_defaults p ON p.id = 1
    WHERE r.channel_id = ${channelId}::uuid`;
  const row = rows[0];
  if (!row) return null;
  return {
    room: {
      channelId: row.channel_id,
      ownerId: row.owner_id,
      slowModeSeconds: row.slow_mode_seconds,
      followersOnlyMinutes: row.followers_only_minutes,
      emoteOnly: row.emote_only,
      uniqueChat: row.unique_chat,
      subscriberOnly: row.subscriber_only,
      clearedAt: row.cleared_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    roles: row.roles,
    subscriber: row.subscriber,
    ban: row.banned ? { expiresAt: row.ban_expires_at } : null,
    sender:
      row.sender_login !== null && row.sender_display_name !== null
        ? { login: row.sender_login, displayName: row.sender_display_name }
        : null,
    replyVisible: row.reply_visible,
    emotes: row.emotes ?? [],
    mentions: row.mentions ?? [],
    platform: row.platform_found
      ? {
          blockedTerms: row.platform_blocked_terms ?? [],
          viewerMessagesPer30s: row.viewer_messages_per_30s,
          moderatorMessagesPer30s: row.moderator_messages_per_30s,
        }
      : null,
    blockedTerms: row.blocked_terms,
    follower: row.followed && row.followed_at ? { active: row.follower_active === true, followedAt: row.followed_at } : null,
    lastSentAt: row.last_sent_at,
    repeatedBySender: row.repeated_by_sender,
    repeatedInRoom: row.repeated_in_room,
  };
}

const TOPIC = 'chat.message.created.v1';

export type NewMessage = Omit<Message, 'sentAt' | 'deletedAt' | 'deletedBy'>;

/**
 * Stores a message and its chat.message.created.v1 event in one statement: atomic as a transaction of the two
 * inserts, in one round trip where the transaction took five (begin, two inserts, the relay's NOTIFY, commit). The
 * message is stamped by the database (`sent_at`, as before), and the event carries that same instant.
 */
export async function insertMessage(
  prisma: PrismaClient,
  message: NewMessage,
  event: (sentAt: string) => EventData<typeof TOPIC>,
): Promise<{ message: Message; event: EventOf<typeof TOPIC> }> {
  const checked = makeEvent(TOPIC, event(new Date().toISOString()));
  const [{ sent_at: sentAt }] = await prisma.$queryRaw<{ sent_at: Date }[]>`
    WITH m AS (
      INSERT INTO message (id, channel_id, sender_id, text, comparable_text, reply_to_id, fragments, badges)
      VALUES (${message.id}::uuid, ${message.channelId}::uuid, ${message.senderId}::uuid, ${message.text}, ${message.comparableText},
        ${message.replyToId}::uuid, ${JSON.stringify(message.fragments)}::jsonb, ${message.badges}::text[])
      RETURNING sent_at
    ), ${outboxRowSql(CHAT_SCHEMA, checked, message.channelId, 'm', { sentAt: 'sent_at' })}
    SELECT sent_at FROM m`;
  return {
    message: { ...message, sentAt, deletedAt: null, deletedBy: null },
    event: { ...checked, data: { ...checked.data, sentAt: sentAt.toISOString() } },
  };
}
