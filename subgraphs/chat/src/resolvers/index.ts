import { Channel } from './Channel';
import { ChatBadge } from './ChatBadge';
import { ChatBan } from './ChatBan';
import { ChatBlockedTerm } from './ChatBlockedTerm';
import { ChatFragment } from './ChatFragment';
import { ChatFragmentType } from './ChatFragmentType';
import { ChatMessage } from './ChatMessage';
import { Chatroom } from './Chatroom';
import { Emote } from './Emote';
import { Mutation } from './Mutation';
import { Query } from './Query';
import type { Resolvers } from './types.generated';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Chatroom,
  ChatMessage,
  ChatFragment,
  ChatFragmentType,
  ChatBadge,
  ChatBan,
  ChatBlockedTerm,
  Emote,
  Channel,
};
