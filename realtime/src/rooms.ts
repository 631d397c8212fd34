import { execute, type GraphQLSchema } from 'graphql';
import type { EventsByTopic } from '../../contracts/events/types';
import { notificationId } from '../../kernel/notification-id';
import type { PreparedOperation } from './operations';
import type { ChatEventValue, RootField, RootValue, StreamStatusValue } from './schema';

/** A connection as the rooms see it: who it is, and where its frames go. */
export interface Sink {
  readonly userId?: string;
  /** The client's address: anonymous viewers are counted once per address. */
  readonly address?: string;
  /** Writes one whole graphql-ws frame; a sink that cannot keep up drops itself (see connection.ts). */
  send(frame: string): void;
}

/** One subscription of one connection, in one room. */
export interface Member {
  readonly sink: Sink;
  /** `{"id":<id>,"type":"next","payload":` for this subscription's id, built once. */
  readonly prefix: string;
  /** Ends the subscription from the server's side: the client receives `complete`. */
  complete(): void;
}

export const nextFramePrefix = (id: string): string => `{"id":${JSON.stringify(id)},"type":"next","payload":`;

/** The chat topics rt-gtw consumes. */
export const CHAT_TOPICS = [
  'chat.message.created.v1',
  'chat.message.deleted.v1',
  'chat.user.banned.v1',
  'chat.user.unbanned.v1',
  'chat.room.updated.v1',
  'chat.room.cleared.v1',
] as const;

export type ChatTopic = (typeof CHAT_TOPICS)[number];
export type ChatEvent = EventsByTopic[ChatTopic];

/** The topics streamStatus subscriptions are fed from. */
export const STREAM_TOPICS = [
  'live.stream.started.v1',
  'live.stream.updated.v1',
  'live.stream.ended.v1',
  'chnl.channel.updated.v1',
] as const;

export type StreamTopic = (typeof STREAM_TOPICS)[number];
export type StreamEvent = EventsByTopic[StreamTopic];

/** The topic notifications subscriptions are fed from: one event per fan-out slice, naming its recipients. */
export const NOTIFICATION_TOPIC = 'ptfm.notification.created.v1';

export type NotificationEvent = EventsByTopic[typeof NOTIFICATION_TOPIC];

/** What a stream or channel event says of the channel's stream; null when it changes nothing a viewer sees. */
export function streamStatusOf(event: StreamEvent): StreamStatusValue | null {
  const channelId = event.data.channelId;
  switch (event.type) {
    case 'live.stream.started.v1':
      return {
        channelId,
        state: 'live',
        streamId: event.data.streamId,
        title: event.data.title,
        category: event.data.category,
        at: event.data.startedAt,
      };
    case 'live.stream.updated.v1':
      return {
        channelId,
        state: event.data.state,
        streamId: event.data.streamId,
        title: event.data.title,
        category: event.data.category,
        at: event.data.updatedAt,
      };
    case 'live.stream.ended.v1':
      return { channelId, state: 'offline', streamId: event.data.streamId, title: null, category: null, at: event.data.endedAt };
    case 'chnl.channel.updated.v1': {
      const { title, category } = event.data.changes;
      if (title === undefined && category === undefined) return null;
      return { channelId, state: null, streamId: null, title: title ?? null, category: category ?? null, at: event.data.updatedAt };
    }
  }
}

/** Subscriptions that share an operation and its variables: one execution and one JSON text per event. */
class Selection {
  readonly members = new Set<Member>();
  /** For a viewerCount selection: the last count's payload, and the members that have received it. */
  lastPayload?: string;
  readonly primed = new WeakSet<Member>();

  constructor(
    readonly operation: PreparedOperation,
    readonly variables: Record<string, unknown>,
  ) {}
}

class Room {
  readonly selections = new Map<string, Selection>();
  /** A viewer is a connection with any subscription in the room; the value counts its subscriptions. */
  readonly viewers = new Map<Sink, number>();
  lastViewerCount?: number;

  constructor(readonly channelId: string) {}
}

/**
 * Bans and timeouts in force, per room: those the chat domain listed when the gateway started (`loaded`), then
 * those learned from chat.user.banned.v1; forgotten when chat.user.unbanned.v1 lifts one or a timeout ends.
 */
export class Bans {
  private readonly rooms = new Map<string, Map<string, number>>();
  /**
   * While the list is read, the (room, user) pairs events have spoken of since: an event is newer than the list
   * (the feed reads from before the list was asked for), so the list does not undo an unban or a later ban.
   */
  private touched?: Set<string>;

  /** From now until `loaded`, events win over the list being read. */
  loading(): void {
    this.touched = new Set();
  }

  /** The bans in force as the chat domain listed them, except where an event spoke since `loading`. */
  loaded(entries: readonly { channelId: string; userId: string; expiresAt: string | null }[]): void {
    const touched = this.touched ?? new Set<string>();
    this.touched = undefined;
    for (const { channelId, userId, expiresAt } of entries) {
      const room = channelId.toLowerCase();
      if (!touched.has(`${room} ${userId}`)) this.add(room, userId, expiresAt);
    }
  }

  add(channelId: string, userId: string, expiresAt: string | null): void {
    this.touched?.add(`${channelId} ${userId}`);
    let room = this.rooms.get(channelId);
    if (!room) {
      room = new Map();
      this.rooms.set(channelId, room);
    }
    room.set(userId, expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(expiresAt));
  }

  /** When the user's ban in the room ends (Infinity: permanent), or undefined when they are not banned now. */
  until(channelId: string, userId: string, now: number): number | undefined {
    const until = this.rooms.get(channelId)?.get(userId);
    if (until === undefined) return undefined;
    if (until > now) return until;
    this.forget(channelId, userId);
    return undefined;
  }

  /** Drops ended timeouts, so memory holds only bans still in force. */
  sweep(now: number): void {
    for (const [channelId, users] of this.rooms) {
      for (const [userId, until] of users) if (until <= now) this.forget(channelId, userId);
    }
  }

  forget(channelId: string, userId: string): void {
    this.touched?.add(`${channelId} ${userId}`);
    const room = this.rooms.get(channelId);
    room?.delete(userId);
    if (room?.size === 0) this.rooms.delete(channelId);
  }
}

const CHAT_EVENT_TYPENAMES = {
  'chat.message.deleted.v1': 'ChatMessageDeleted',
  'chat.user.banned.v1': 'ChatUserBanned',
  'chat.user.unbanned.v1': 'ChatUserUnbanned',
  'chat.room.updated.v1': 'ChatRoomUpdated',
  'chat.room.cleared.v1': 'ChatRoomCleared',
} as const;

/**
 * The fan-out: subscriptions grouped by room (channel) and, within a room, by selection. An event is executed
 * once per selection of its room, its payload serialised once, and each member's frame is that text behind the
 * member's own prefix. Everything here is synchronous, so events leave in the order they arrived.
 */
export class Rooms {
  private readonly rooms = new Map<string, Room>();
  /** The connected users' own subscriptions (notifications), by user id, then by selection. */
  private readonly users = new Map<string, Map<string, Selection>>();
  readonly bans = new Bans();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a member to the room's selection for (operation, variables); returns what removes it, idempotently. */
  join(
    channelId: string,
    selectionKey: string,
    operation: PreparedOperation,
    variables: Record<string, unknown>,
    member: Member,
  ): () => void {
    let room = this.rooms.get(channelId);
    if (!room) {
      room = new Room(channelId);
      this.rooms.set(channelId, room);
    }
    let selection = room.selections.get(selectionKey);
    if (!selection) {
      selection = new Selection(operation, variables);
      room.selections.set(selectionKey, selection);
    }
    selection.members.add(member);
    room.viewers.set(member.sink, (room.viewers.get(member.sink) ?? 0) + 1);
    const joined = { room, selection };
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.leave(joined.room, selectionKey, joined.selection, member);
    };
  }

  private leave(room: Room, selectionKey: string, selection: Selection, member: Member): void {
    selection.members.delete(member);
    if (selection.members.size === 0) room.selections.delete(selectionKey);
    const subscriptions = (room.viewers.get(member.sink) ?? 1) - 1;
    if (subscriptions > 0) room.viewers.set(member.sink, subscriptions);
    else room.viewers.delete(member.sink);
    if (room.selections.size === 0) this.rooms.delete(room.channelId);
  }

  /** Adds a member to the user's own selection for (operation, variables); returns what removes it, idempotently. */
  /** The users holding one of their own subscriptions (notifications) here, lower-cased. */
  subscribedUsers(): string[] {
    return [...this.users.keys()];
  }

  joinUser(
    userId: string,
    selectionKey: string,
    operation: PreparedOperation,
    variables: Record<string, unknown>,
    member: Member,
  ): () => void {
    const key = userId.toLowerCase();
    let selections = this.users.get(key);
    if (!selections) {
      selections = new Map();
      this.users.set(key, selections);
    }
    let selection = selections.get(selectionKey);
    if (!selection) {
      selection = new Selection(operation, variables);
      selections.set(selectionKey, selection);
    }
    selection.members.add(member);
    const joined = { selections, selection };
    let left = false;
    return () => {
      if (left) return;
      left = true;
      joined.selection.members.delete(member);
      if (joined.selection.members.size === 0) joined.selections.delete(selectionKey);
      if (joined.selections.size === 0 && this.users.get(key) === joined.selections) this.users.delete(key);
    };
  }

  /**
   * Writes a fan-out slice's notification to each of its recipients connected here, with the recipient's own id;
   * returns the frames written. The slice names thousands of users: only those with a socket here cost anything.
   */
  onNotificationEvent(event: NotificationEvent): number {
    const { recipients, kind, streamId, channelId, broadcaster, title, category, thumbnailUrl, startedAt, createdAt } = event.data;
    let written = 0;
    for (const userId of recipients) {
      const selections = this.users.get(userId.toLowerCase());
      if (!selections) continue;
      const notifications = {
        id: notificationId(streamId, userId),
        kind,
        channelId,
        streamId,
        broadcaster,
        title,
        category,
        thumbnailUrl: thumbnailUrl ?? null,
        startedAt,
        read: false,
        createdAt,
      };
      for (const selection of [...selections.values()]) {
        const payload = this.execute(selection, { notifications });
        for (const member of [...selection.members]) {
          member.sink.send(`${member.prefix}${payload}}`);
          written += 1;
        }
      }
    }
    return written;
  }

  /** Routes a stream or channel event to the channel's streamStatus subscribers; returns the frames written. */
  onStreamEvent(event: StreamEvent): number {
    const streamStatus = streamStatusOf(event);
    return streamStatus ? this.dispatch(event.data.channelId.toLowerCase(), 'streamStatus', { streamStatus }) : 0;
  }

  /** Routes a chat event to its room; returns the frames written. */
  onChatEvent(event: ChatEvent): number {
    const channelId = event.data.channelId.toLowerCase();
    if (event.type === 'chat.message.created.v1') return this.dispatch(channelId, 'chatMessages', { chatMessages: event.data });
    const value = { __typename: CHAT_EVENT_TYPENAMES[event.type], ...event.data } as ChatEventValue;
    if (event.type === 'chat.user.unbanned.v1') this.bans.forget(channelId, event.data.userId);
    if (event.type !== 'chat.user.banned.v1') return this.dispatch(channelId, 'chatEvents', { chatEvents: value });

    const { userId, expiresAt } = event.data;
    this.bans.add(channelId, userId, expiresAt);
    const written = this.dispatch(channelId, 'chatEvents', { chatEvents: value });
    if (this.bans.until(channelId, userId, this.now()) !== undefined) this.completeUser(channelId, userId);
    return written;
  }

  /** Ends every subscription the user holds in the room, after the frames already written to them. */
  private completeUser(channelId: string, userId: string): void {
    const room = this.rooms.get(channelId);
    if (!room) return;
    const banned: Member[] = [];
    for (const selection of room.selections.values()) {
      for (const member of selection.members) if (member.sink.userId === userId) banned.push(member);
    }
    for (const member of banned) member.complete();
  }

  /** Connections per room on this instance. */
  localViewerCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const room of this.rooms.values()) counts.set(room.channelId, room.viewers.size);
    return counts;
  }

  /**
   * Distinct viewers per room on this instance, rooms without any left out: a signed-in user once however many
   * connections they hold, anonymous connections once per address (a thousand sockets from one address are one
   * viewer). What the viewer counts are made of.
   */
  localDistinctViewers(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const room of this.rooms.values()) {
      const users = new Set<string>();
      const addresses = new Set<string>();
      let unknown = 0;
      for (const sink of room.viewers.keys()) {
        if (sink.userId) users.add(sink.userId);
        else if (sink.address) addresses.add(sink.address);
        else unknown += 1;
      }
      const viewers = users.size + addresses.size + unknown;
      if (viewers > 0) counts.set(room.channelId, viewers);
    }
    return counts;
  }

  /** The rooms someone follows the viewer count of (viewerCount, or a streamStatus that selects it). */
  viewerCountChannels(): string[] {
    const channels: string[] = [];
    for (const room of this.rooms.values()) {
      for (const selection of room.selections.values()) {
        if (selection.operation.countsViewers) {
          channels.push(room.channelId);
          break;
        }
      }
    }
    return channels;
  }

  /**
   * Sends a room's count to the subscriptions that follow it (viewerCount, streamStatus selecting viewerCount) when
   * it changed, and to those that have none yet.
   */
  pushViewerCount(channelId: string, count: number, at: Date): number {
    const room = this.rooms.get(channelId);
    if (!room) return 0;
    const changed = room.lastViewerCount !== count;
    room.lastViewerCount = count;
    const roots = {
      viewerCount: { viewerCount: { channelId, count, at: at.toISOString() } },
      // A change of the viewers alone: nothing else of the stream changed.
      streamStatus: {
        streamStatus: { channelId, state: null, streamId: null, title: null, category: null, viewerCount: count, at: at.toISOString() },
      },
    } as const;
    let written = 0;
    for (const selection of [...room.selections.values()]) {
      if (!selection.operation.countsViewers) continue;
      const root = selection.operation.field === 'streamStatus' ? roots.streamStatus : roots.viewerCount;
      if (changed || selection.lastPayload === undefined) selection.lastPayload = this.execute(selection, root);
      for (const member of [...selection.members]) {
        if (!changed && selection.primed.has(member)) continue;
        selection.primed.add(member);
        member.sink.send(`${member.prefix}${selection.lastPayload}}`);
        written += 1;
      }
    }
    return written;
  }

  private dispatch(channelId: string, field: RootField, root: RootValue): number {
    const room = this.rooms.get(channelId);
    if (!room) return 0;
    let written = 0;
    // A member may leave while we write (a slow consumer drops itself): iterate over copies.
    for (const selection of [...room.selections.values()]) {
      if (selection.operation.field !== field) continue;
      const payload = this.execute(selection, root);
      for (const member of [...selection.members]) {
        member.sink.send(`${member.prefix}${payload}}`);
        written += 1;
      }
    }
    return written;
  }

  private execute(selection: Selection, root: RootValue): string {
    const result = execute({
      schema: this.schema,
      document: selection.operation.document,
      operationName: selection.operation.name,
      rootValue: root,
      variableValues: selection.variables,
    });
    // The realtime resolvers are synchronous; a promise here would break the order of a room's events.
    if ('then' in result) throw new Error(`${selection.operation.name} resolved asynchronously`);
    return JSON.stringify(result);
  }
}
