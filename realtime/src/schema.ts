import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type {
  ChatMessageCreatedData,
  ChatMessageDeletedData,
  ChatRoomClearedData,
  ChatRoomUpdatedData,
  ChatUserBannedData,
  ChatUserUnbannedData,
} from '../../contracts/events/types';
import { fromRoot } from '../../kernel/paths';

/**
 * The realtime schema. Its subscription fields are never resolved by graphql's own `subscribe`: the rooms execute
 * each selection once per event with the event as root value (see rooms.ts), so the resolvers here only map the
 * contract's shape onto the API's.
 */
export type ChatEventValue =
  | ({ __typename: 'ChatMessageDeleted' } & ChatMessageDeletedData)
  | ({ __typename: 'ChatUserBanned' } & ChatUserBannedData)
  | ({ __typename: 'ChatUserUnbanned' } & ChatUserUnbannedData)
  | ({ __typename: 'ChatRoomUpdated' } & ChatRoomUpdatedData)
  | ({ __typename: 'ChatRoomCleared' } & ChatRoomClearedData);

/** A notification as the socket shows it: the shared content of its fan-out slice, with the recipient's own id. */
export interface NotificationValue {
  id: string;
  kind: 'go_live';
  channelId: string;
  streamId: string;
  broadcaster: { id: string; login: string; displayName: string };
  title: string;
  category: string;
  startedAt: string;
  read: boolean;
  createdAt: string;
}

export interface StreamStatusValue {
  channelId: string;
  state: 'live' | 'reconnecting' | 'offline' | null;
  streamId: string | null;
  title: string | null;
  category: string | null;
  /** Set on the gateway's own viewer count changes; absent on stream and channel events. */
  viewerCount?: number | null;
  at: string;
}

export interface ViewerCountValue {
  channelId: string;
  count: number;
  at: string;
}

/** What a room hands to the execution of one of its selections: the value of the root field. */
export type RootValue =
  | { chatMessages: ChatMessageCreatedData }
  | { chatEvents: ChatEventValue }
  | { viewerCount: ViewerCountValue }
  | { notifications: NotificationValue }
  | { streamStatus: StreamStatusValue };

export type RootField = 'chatMessages' | 'chatEvents' | 'viewerCount' | 'notifications' | 'streamStatus';

export const ROOT_FIELDS: readonly RootField[] = ['chatMessages', 'chatEvents', 'viewerCount', 'notifications', 'streamStatus'];

/** Root fields whose subscription is the connected user's own, not a channel's: they take no channelId. */
export const USER_FIELDS: ReadonlySet<RootField> = new Set(['notifications']);

export function buildRealtimeSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: readFileSync(fromRoot('realtime', 'schema.graphql'), 'utf8'),
    resolvers: {
      Query: { realtime: () => true },
      ChatMessage: {
        id: (m: ChatMessageCreatedData) => m.messageId,
        sender: (m: ChatMessageCreatedData) => ({ id: m.senderId, login: m.senderLogin, displayName: m.senderDisplayName }),
      },
      ChatFragmentType: { TEXT: 'text', EMOTE: 'emote', MENTION: 'mention' },
      ChatBadge: { BROADCASTER: 'broadcaster', MODERATOR: 'moderator', VIP: 'vip' },
      ChatEvent: { __resolveType: (event: ChatEventValue) => event.__typename },
      NotificationKind: { GO_LIVE: 'go_live' },
      StreamStatusState: { LIVE: 'live', RECONNECTING: 'reconnecting', OFFLINE: 'offline' },
    },
  });
}
