import { storedFragments } from '../services/text';
import type { ChatMessageResolvers } from './types.generated';

export const ChatMessage: ChatMessageResolvers = {
  __resolveReference: (ref, ctx) => ctx.messageById.load(ref.id),
  chatroom: async (message, _, ctx) => {
    const room = await ctx.roomById.load(message.channelId);
    // Rooms are never deleted; a missing one fails the non-null field, with the ids in the log.
    if (!room) throw new Error(`message ${message.id}: room ${message.channelId} not found`);
    return room;
  },
  sender: async (message, _, ctx) => {
    const sender = await ctx.chatterById.load(message.senderId);
    // A message is refused until its sender's chat identity exists, and chatters are never deleted.
    if (!sender) throw new Error(`message ${message.id}: sender ${message.senderId} has no chat identity`);
    return { __typename: 'User', id: sender.userId, login: sender.login, displayName: sender.displayName };
  },
  fragments: (message) => storedFragments(message.fragments),
  replyTo: (message, _, ctx) => (message.replyToId ? ctx.messageById.load(message.replyToId) : null),
};
