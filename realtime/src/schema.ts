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

export interface ViewerCountValue {
  channelId: string;
  count: number;
  at: string;
}

/** What a room hands to the execution of one of its selections: the value of the root field. */
export type RootValue = { chatMessages: ChatMessageCreatedData } | { chatEvents: ChatEventValue } | { viewerCount: ViewerCountValue };

export type RootField = 'chatMessages' | 'chatEvents' | 'viewerCount';

export const ROOT_FIELDS: readonly RootField[] = ['chatMessages', 'chatEvents', 'viewerCount'];

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
      ChatBadge: { BROADCASTER: 'broadcaster', MODERATOR: 'moderator', VIP: 'vip', SUBSCRIBER: 'subscriber' },
      ChatEvent: { __resolveType: (event: ChatEventValue) => event.__typename },
    },
  });
}
