import { Channel } from './Channel';
import { ChatBadge, ChatFragment, ChatFragmentType, ChatMessage } from './ChatMessage';
import { Chatroom } from './Chatroom';
import { ChatSettings } from './ChatSettings';
import { ChatBan, ChatBlockedTerm, Emote } from './Moderation';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers = {
  Query,
  Mutation,
  Chatroom,
  ChatSettings,
  ChatMessage,
  ChatFragment,
  ChatFragmentType,
  ChatBadge,
  ChatBan,
  ChatBlockedTerm,
  Emote,
  Channel,
};
